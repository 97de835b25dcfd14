"""简体中文 (default). HTML: values are escaped by the caller; literal < > & must be escaped here."""

MESSAGES: dict[str, str] = {
    # commands menu (set_my_commands)
    "command.start": "开始 / 主菜单",
    "command.ask": "问政策问题,例如 /ask 周末能上补习班吗",
    "command.help": "使用帮助",
    "command.lang": "切换语言 / Language",
    "command.about": "关于本机器人与隐私说明",
    # menu
    "start.greeting": (
        "您好!这里是<b>“双减”政策咨询与违规培训举报</b>机器人,24小时在线。\n\n"
        "您可以直接输入问题,例如:“周末还能上英语补习班吗?”“二年级有书面作业吗?”\n"
        "也可以点击下面的按钮。"
    ),
    "menu.ask": "❓ 咨询政策",
    "menu.report": "📝 举报违规培训",
    "menu.status": "🔎 查询举报进展",
    "menu.human": "👤 找人工",
    "menu.ask_prompt": "请直接输入您的问题,例如:“初中每天作业多长时间?”",
    "group.start": "您好!在群里请用 /ask 加问题,或 @我 提问。举报请私聊我,保护您的隐私。",
    "help": (
        "<b>怎么使用</b>\n"
        "• 直接输入问题,我会根据政策文件回答并注明出处。\n"
        "• /start 主菜单 · /lang 切换语言 · /about 隐私说明\n"
        "• 答不上来时,可以留言给工作人员,或拨打热线。"
    ),
    "about": (
        "<b>关于本机器人</b>\n"
        "本机器人解答“双减”政策问题,并受理违规校外培训举报(24小时)。\n\n"
        "<b>隐私</b>\n"
        "• 您的举报对教育局及核查人员保密:他们看不到您的 Telegram 账号、用户名、姓名或电话。\n"
        "• 举报只保存您输入的内容;联系方式可以不留,只有您主动填写时才会有。\n"
        "• 但 Telegram 平台本身知道是哪个账号发送的消息,因此这不是完全匿名。\n"
        "• 如需完全匿名,请拨打举报电话:{report_hotline}。"
    ),
    # language
    "lang.choose": "请选择语言 / Choose a language:",
    "lang.name.zh": "中文",
    "lang.name.en": "English",
    "lang.set": "已切换为中文。",
    # questions
    "faq.source": "来源:{source}",
    "faq.related": "相关问题:",
    "faq.suggest": "没有找到完全对应的答案。您是不是想问:",
    "faq.none_of_these": "都不是,留言给工作人员",
    "faq.none": (
        "抱歉,这个问题不在本机器人的解答范围内(本机器人解答“双减”政策相关问题)。\n"
        "您可以换个说法再问,留言给工作人员,或拨打热线 {citizen_hotline}。"
    ),
    "faq.empty": "请用文字输入您的问题,例如:“周末还能上英语补习班吗?”",
    "faq.need_text": "我只能阅读文字问题。请用文字描述您的问题;如需举报并提供照片,请使用 /start 中的“举报”。",
    "faq.ask_usage": "请在 /ask 后面写上问题,例如:<code>/ask 周末能上补习班吗</code>",
    # feedback
    "feedback.thanks": "谢谢您的反馈!",
    "feedback.wrong_topic": "答非所问",
    "feedback.not_answered": "没有回答我的问题",
    "feedback.outdated": "内容过时或有误",
    "button.expired": "这个按钮已失效,请重新提问。",
    # people
    "human.contact": (
        "<b>人工服务</b>\n"
        "举报电话:{report_hotline}\n"
        "政务服务热线:{citizen_hotline}\n"
        "人工服务时间:{service_hours}\n\n"
        "您也可以把问题留给工作人员,我们会据此完善解答。"
    ),
    "staff.leave": "✍️ 留言给工作人员",
    "staff.prompt": "请输入您想留给工作人员的问题(请不要填写姓名、电话等个人信息):",
    "staff.received": "已收到您的留言,谢谢!工作人员会在{service_hours}处理,并据此完善解答。急事请拨打热线。",
    "staff.private_only": "请私聊我留言,保护您的隐私。",
    # errors
    "error.generic": "抱歉,处理您的消息时出了问题,请稍后再试。",
    # tip-offs: commands and entry
    "command.report": "举报违规培训(保密)",
    "command.status": "用查询码查询举报进展",
    "command.cancel": "取消正在进行的举报或查询",
    "reporter.private_only": "为保护您的隐私,请私聊我进行举报或查询。",
    "reporter.nothing_to_cancel": "当前没有进行中的举报或查询。",
    "reporter.busy": "抱歉,系统繁忙,您刚才发送的内容没有保存。请稍后再发一次。",
    "reporter.slow_down": "您发送得太快了,请稍等几秒再继续。",
    # the report conversation
    "report.intro": (
        "📝 <b>举报违规校外培训</b>\n"
        "您的举报对教育部门保密:核查人员看不到您的 Telegram 账号、用户名、姓名或电话。"
        "Telegram 平台本身知道消息来自哪个账号;如需完全匿名,请拨打举报电话:{report_hotline}。\n"
        "共 {total} 步,每一步都会自动保存。随时可发送 /back 返回上一步,/cancel 取消。"
    ),
    "report.step": "<b>第 {number}/{total} 步</b>",
    "report.ask.category": "请选择违规类型:",
    "report.ask.district": "发生在哪个区?",
    "report.ask.who": "涉及的机构或个人叫什么名字?(例如“某某学堂”“王老师”;不清楚可写“不清楚”)",
    "report.ask.where": "具体地址或上课地点在哪里?(例如“某某路12号3层”;线上培训可写平台或群名)",
    "report.ask.when": "什么时间发生的?(例如“每周六上午9点到11点,从3月开始”)",
    "report.ask.what": "请描述发生了什么:培训内容、学生人数、收费方式等,尽量具体。请不要写您自己的姓名或联系方式。",
    "report.ask.evidence": (
        "如有证据,请发送照片、截图、文件、视频或录音(可发多个,每个不超过 {max_mb} MB)。"
        "照片中的位置和拍摄设备信息会被自动删除。\n发完后请按“完成”;没有证据可按“跳过”。"
    ),
    "report.ask.contact": (
        "(可选)是否留下联系方式?默认不留:您仍可以用查询码查看进展、回答追问。\n"
        "如果留下,只有办案人员能看到。要留,请直接输入(例如电话或邮箱);不留请按下方按钮。"
    ),
    "report.review.title": "<b>请核对您的举报</b>",
    "report.review.line": "<b>{label}</b>:{value}",
    "report.edited": "修改已发送的消息不会改动草稿。如需修改,请在核对页按“修改”,或发送 /back 返回上一步。",
    "report.review.hint": "确认无误请按“确认提交”;要修改请按“修改”。",
    "report.field.category": "类型",
    "report.field.district": "区域",
    "report.field.who": "机构或个人",
    "report.field.where": "地址",
    "report.field.when": "时间",
    "report.field.what": "经过",
    "report.field.evidence": "证据",
    "report.field.contact": "联系方式",
    "report.review.files": "{count} 个文件",
    "report.review.no_files": "无",
    "report.review.no_contact": "不留(办案人员无法联系您)",
    "report.button.done": "✅ 完成",
    "report.button.skip": "跳过",
    "report.button.no_contact": "不留联系方式,继续",
    "report.button.back": "« 上一步",
    "report.button.cancel": "✖ 取消举报",
    "report.button.edit": "✏️ 修改",
    "report.button.confirm": "✅ 确认提交",
    "report.button.continue": "继续填写",
    "report.button.restart": "重新开始",
    "report.edit.choose": "要修改哪一项?",
    "report.use_buttons": "这一步请点选按钮回答。",
    "report.wrong.sticker": "表情贴纸无法作为回答。",
    "report.wrong.location": "为保护您,我们不接收地图位置(它可能显示您本人在哪里)。请用文字输入地址。",
    "report.wrong.contact": "我们不接收联系人名片(名片带有 Telegram 账号)。如愿意留下联系方式,请直接输入文字。",
    "report.wrong.voice": "语音无法转成文字。请用文字输入;录音可以在证据那一步发送。",
    "report.wrong.file": "这一步需要文字。照片和文件请在证据那一步发送。",
    "report.wrong.other": "这一步需要文字回答。",
    "report.empty": "这一步不能为空,请输入文字。",
    "report.too_long": "内容太长:这一步最多 {limit} 个字,您发送了 {length} 个字。请精简后再发。",
    "report.first_step": "这已经是第一步。",
    "report.cancelled": "已取消:草稿和已上传的文件都已删除,没有提交任何内容。",
    "report.resume": "您有一份未完成的举报草稿(停在第 {number} 步)。继续填写,还是重新开始?",
    "report.welcome_back": "欢迎回来!您的举报草稿已保存,停在第 {number} 步。刚才那条消息没有记入草稿,请回答这一步:",
    "report.button_old": "这个按钮属于之前的步骤,请回答最新的问题。",
    "report.evidence.received": "✅ 已收到第 {count} 个文件。可以继续发送,或按“完成”。",
    "report.evidence.cleaned": "照片中的位置和设备信息已删除。",
    "report.evidence.caption_ignored": "附带的说明文字没有保存;如需补充,请写在“经过”中。",
    "report.evidence.text": "这一步请发送照片或文件。发完或没有证据时,请按下方按钮。",
    "report.evidence.wrong": "这类消息不能作为证据。请发送照片、截图、文件、视频或录音。",
    "report.received": (
        "✅ <b>举报已受理</b>\n"
        "受理编号:<b>{ticket_number}</b>\n"
        "查询码:<code>{receipt_code}</code>\n\n"
        "⚠️ 查询码只显示这一次。请截图或抄下妥善保管,不要告诉他人:我们只保存它的加密摘要,遗失后无法找回。\n\n"
        "发送 /status 并输入查询码,可以查看办理进展、回答核查人员的追问、补充证据,或开启进展通知。"
    ),
    "report.already_received": "这份举报已经受理,受理编号:<b>{ticket_number}</b>。查询码只显示一次,不会再次发送。",
    "report.already_received_pending": "这份举报已经受理,受理编号:<b>{ticket_number}</b>。带有查询码的消息马上发给您。",
    "report.not_saved": "⚠️ 您的举报<b>没有</b>保存(系统繁忙)。草稿仍然保留,请稍后再按“确认提交”。",
    # evidence files: one text per reason a file is refused
    "evidence.empty_file": "这个文件是空的,请换一个文件。",
    "evidence.too_large": "文件超过 {max_mb} MB,Telegram 不允许机器人下载这么大的文件。请压缩、截图或截取片段后再发送。",
    "evidence.executable": "出于安全原因,不能接收程序或脚本文件(即使改了扩展名)。请发送照片、截图、PDF 或文档。",
    "evidence.archive": "不能接收压缩包。请把里面的照片或文件单独发送。",
    "evidence.macros": "这个文件含有宏或脚本,出于安全原因不能接收。请另存为不含宏的文档、PDF 或截图后再发。",
    "evidence.unsupported_type": "这种文件格式无法接收。请发送 JPG/PNG 照片、截图、PDF、Word/Excel 文档、视频或录音。",
    "evidence.too_many_pixels": "这张图片的像素太多,无法安全处理。请发送截图或缩小后的照片。",
    "evidence.corrupt": "这个文件不完整或已损坏,无法打开。请重新发送。",
    "evidence.duplicate_file": "这个文件已经收到过了。",
    "evidence.too_many_attachments": "文件数量已达上限。如有更多证据,请在提交后用查询码补充,或按“完成”。",
    "evidence.no_draft": "没有找到进行中的举报,请发送 /report 重新开始。",
    "evidence.download_failed": "文件下载失败,请再发送一次。",
    # refusals from the services
    "refused.too_many_reports_hour": "您一小时内提交的举报已达上限,请 {minutes} 分钟后再试。紧急情况请拨打举报电话。",
    "refused.too_many_reports_day": "您今天提交的举报已达上限,请 {minutes} 分钟后再试。紧急情况请拨打举报电话。",
    "refused.text_too_long": "举报的文字太长了,请按“修改”精简后再提交。",
    "refused.description_missing": "请先写明“经过”,再提交。",
    "refused.too_many_attachments": "文件数量超过上限,请按“修改”调整后再提交。",
    "refused.ticket_closed": "这份举报已经办结,不能再补充或回答。",
    "refused.question_not_open": "这条追问已经回答过或已撤回。",
    "refused.ticket_unknown": "没有找到这份举报。",
    # status and follow-up
    "status.ask_code": "请发送您的查询码(16 位数字,可以带空格)。发送 /cancel 退出。",
    "status.code_again": "为保护您的信息,请重新发送查询码。",
    "status.code_malformed": "查询码应为 16 位数字,请检查后重新发送。",
    "status.code_unknown": "没有找到与这个查询码对应的举报,请检查后重新发送。",
    "status.too_many_attempts": "查询码错误次数过多,请 {minutes} 分钟后再试。",
    "status.view": "<b>举报 {ticket_number}</b>\n当前状态:<b>{status}</b>",
    "status.timeline": "<b>办理记录</b>",
    "status.questions": "<b>核查人员的追问</b>",
    "status.notifications_on": "进展通知:已开启",
    "status.notifications_off": "进展通知:未开启",
    "status.button.answer": "回答追问 {number}",
    "status.button.evidence": "📎 补充证据",
    "status.button.notify_on": "🔔 有进展时通知我",
    "status.button.notify_off": "🔕 关闭通知",
    "status.button.done": "完成",
    "status.ask_answer": "请输入您对追问 {number} 的回答:",
    "status.answer_saved": "✅ 回答已转交核查人员。",
    "status.ask_evidence": "请发送照片或文件(每个不超过 {max_mb} MB),发完后按“完成”。",
    "status.evidence_added": "✅ 已补充到举报 {ticket_number}。",
    "status.evidence_text": "请发送照片或文件;发完请按“完成”。",
    "status.notify_on": "🔔 已开启:举报有进展或有追问时,我会在这里通知您(通知只显示受理编号)。办结后自动停止。",
    "status.notify_off": "🔕 已关闭进展通知。",
    "status.done": "已退出查询。查询码没有被保存。",
    "status.name.new": "已受理,待分派",
    "status.name.claimed": "已分派核查人员",
    "status.name.investigating": "核查中",
    "status.name.awaiting_reporter": "待您补充",
    "status.name.resolved": "已办结",
    "status.name.rejected": "不予受理",
    "status.name.duplicate": "重复举报,合并办理",
    "status.name.transferred": "已转办",
    "status.name.closed": "已结案",
    "timeline.received": "收到举报",
    "timeline.claimed": "核查人员已接手",
    "timeline.status_changed": "状态更新:{status}",
    "timeline.question_asked": "核查人员提出追问",
    "timeline.question_answered": "您回答了追问",
    "timeline.evidence_added": "您补充了证据",
    "timeline.transferred": "已转交其他部门办理",
    "timeline.reopened": "重新办理",
    "timeline.merged": "与其他举报合并办理",
    "timeline.other": "办理进展更新",
    "timeline.note": "说明:{note}",
    # outbox: messages sent later (to reporters in both languages, to staff chats in Chinese)
    "outbox.status_changed": "您的举报 <b>{ticket_number}</b> 有新进展:{status}。发送 /status 并输入查询码查看详情。",
    "outbox.question": "核查人员对您的举报 <b>{ticket_number}</b> 有追问。请发送 /status 并输入查询码作答。",
    "outbox.new_ticket": "🆕 新举报 <b>{ticket_number}</b>\n类型:{category}\n区域:{district}",
    "outbox.reporter_answered": "💬 举报 <b>{ticket_number}</b>:举报人回答了追问。",
    "outbox.reporter_evidence": "📎 举报 <b>{ticket_number}</b>:举报人补充了证据。",
    "outbox.ticket_transferred": "↪️ 举报 <b>{ticket_number}</b> 已由 {from_queue} 转办至 {to_queue}。",
    "outbox.deadline_reminder": "⏰ 举报 <b>{ticket_number}</b>({queue}):{deadline} 时限 {due_at} 到期。",
    "outbox.deadline_escalation": "🚨 举报 <b>{ticket_number}</b>({queue}):{deadline} 时限已于 {due_at} 超过。",
    "outbox.daily_digest": "{text}",
    "outbox.other": "举报 <b>{ticket_number}</b>:{kind}",
}
