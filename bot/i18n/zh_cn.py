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
}
