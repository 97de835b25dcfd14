"""English. HTML: values are escaped by the caller; literal < > & must be escaped here."""

MESSAGES: dict[str, str] = {
    "command.start": "Start / main menu",
    "command.ask": "Ask a policy question, e.g. /ask Is weekend tutoring allowed?",
    "command.help": "How to use this bot",
    "command.lang": "Language / 切换语言",
    "command.about": "About this bot and privacy",
    "start.greeting": (
        "Hello! This is the <b>Double Reduction policy</b> helpline and tip-off bot, open 24 hours.\n\n"
        'Type a question, e.g. "Can my child take English tutoring on Saturday?", '
        "or use the buttons below."
    ),
    "menu.ask": "❓ Ask about the policy",
    "menu.report": "📝 Report illegal tutoring",
    "menu.status": "🔎 Check my report",
    "menu.human": "👤 Talk to a person",
    "menu.ask_prompt": 'Type your question, e.g. "How long may homework take in grade 7?"',
    "group.start": "Hello! In groups, use /ask with your question or mention me. To report, message me privately.",
    "help": (
        "<b>How to use</b>\n"
        "• Type a question; I answer from the policy documents and name the source.\n"
        "• /start main menu · /lang language · /about privacy\n"
        "• If I can't answer, leave a question for our staff or call the hotline."
    ),
    "about": (
        "<b>About this bot</b>\n"
        "It answers questions on the Double Reduction policy and takes reports of illegal "
        "tutoring, 24 hours a day.\n\n"
        "<b>Privacy</b>\n"
        "• Your report is confidential to the bureau: inspectors never see your Telegram account, "
        "username, name or phone.\n"
        "• A report keeps only what you type into it; leaving a contact is optional.\n"
        "• Telegram itself knows which account sent a message, so this is not full anonymity.\n"
        "• For full anonymity, call the tip-off line: {report_hotline}."
    ),
    "lang.choose": "Choose a language / 请选择语言:",
    "lang.name.zh": "中文",
    "lang.name.en": "English",
    "lang.set": "Language set to English.",
    "faq.source": "Source: {source}",
    "faq.related": "Related questions:",
    "faq.suggest": "I found no exact answer. Did you mean:",
    "faq.none_of_these": "None of these: ask our staff",
    "faq.none": (
        "Sorry, this question is outside what this bot answers (the Double Reduction policy).\n"
        "Try rephrasing it, leave a question for our staff, or call {citizen_hotline}."
    ),
    "faq.empty": 'Please type your question in words, e.g. "Can my child take English tutoring on Saturday?"',
    "faq.need_text": "I can only read typed questions. To report with photos, use Report in /start.",
    "faq.ask_usage": "Write the question after /ask, e.g. <code>/ask Is weekend tutoring allowed?</code>",
    "feedback.thanks": "Thank you for the feedback!",
    "feedback.wrong_topic": "Wrong topic",
    "feedback.not_answered": "Didn't answer my question",
    "feedback.outdated": "Outdated or wrong",
    "button.expired": "This button has expired. Please ask again.",
    "human.contact": (
        "<b>Talk to a person</b>\n"
        "Tip-off line: {report_hotline}\n"
        "Citizen service line: {citizen_hotline}\n"
        "Staff hours: {service_hours}\n\n"
        "You can also leave a question for our staff; it helps us improve the answers."
    ),
    "staff.leave": "✍️ Leave a question for staff",
    "staff.prompt": "Type your question for our staff (please leave out your name, phone and other personal details):",
    "staff.received": "Thank you, your question was received. Staff handle questions during {service_hours} and use them to improve the answers. For urgent matters, please call the hotline.",
    "staff.private_only": "Please message me privately to leave a question, to protect your privacy.",
    "error.generic": "Sorry, something went wrong with your message. Please try again shortly.",
    # tip-offs: commands and entry
    "command.report": "Report illegal tutoring (confidential)",
    "command.status": "Check a report with its receipt code",
    "command.cancel": "Cancel the report or check in progress",
    "reporter.private_only": "To protect your privacy, please message me privately to report or check a report.",
    "reporter.nothing_to_cancel": "There is no report or check in progress.",
    "reporter.busy": "Sorry, the system is busy and what you just sent was not saved. Please send it again shortly.",
    "reporter.slow_down": "You are sending messages very fast. Please wait a few seconds before continuing.",
    # the report conversation
    "report.intro": (
        "📝 <b>Report illegal tutoring</b>\n"
        "Your report is confidential to the education bureau: inspectors never see your Telegram account, "
        "username, name or phone. Telegram itself knows which account sends a message; for full anonymity, "
        "call the tip-off line: {report_hotline}.\n"
        "There are {total} steps and each one is saved as you go. Send /back for the previous step or /cancel to stop."
    ),
    "report.step": "<b>Step {number} of {total}</b>",
    "report.ask.category": "What kind of violation is it?",
    "report.ask.district": "In which district?",
    "report.ask.who": 'Which institution or person is it? (e.g. "Bright Star Learning", "Teacher Wang"; write "unknown" if you don\'t know)',
    "report.ask.where": "Where exactly? (street address or classroom; for online classes, the platform or group name)",
    "report.ask.when": 'When does it happen? (e.g. "Saturdays 9-11 am since March")',
    "report.ask.what": "What happened? Subjects taught, number of pupils, fees … as precisely as you can. Please leave out your own name and contact details.",
    "report.ask.evidence": (
        "If you have evidence, send photos, screenshots, documents, videos or recordings (several are fine, "
        "up to {max_mb} MB each). Location and camera details are removed from photos.\n"
        'Press "Done" when finished, or "Skip" if you have none.'
    ),
    "report.ask.contact": (
        "(Optional) Leave a way to contact you? By default you don't: you can still follow the report and "
        "answer questions with your receipt code.\n"
        "If you do, only the inspectors handling it see it. To leave one, type it (phone or e-mail); otherwise press the button."
    ),
    "report.review.title": "<b>Please check your report</b>",
    "report.review.line": "<b>{label}</b>: {value}",
    "report.edited": 'Editing a sent message does not change the draft. To change an answer, press "Edit" at the review or send /back.',
    "report.review.hint": 'Press "Confirm" to send it, or "Edit" to change something.',
    "report.field.category": "Type",
    "report.field.district": "District",
    "report.field.who": "Institution or person",
    "report.field.where": "Address",
    "report.field.when": "When",
    "report.field.what": "What happened",
    "report.field.evidence": "Evidence",
    "report.field.contact": "Contact",
    "report.review.files": "{count} file(s)",
    "report.review.no_files": "none",
    "report.review.no_contact": "none (inspectors cannot contact you)",
    "report.button.done": "✅ Done",
    "report.button.skip": "Skip",
    "report.button.no_contact": "No contact, continue",
    "report.button.back": "« Back",
    "report.button.cancel": "✖ Cancel report",
    "report.button.edit": "✏️ Edit",
    "report.button.confirm": "✅ Confirm",
    "report.button.continue": "Continue",
    "report.button.restart": "Start over",
    "report.edit.choose": "What would you like to change?",
    "report.use_buttons": "Please answer this step with the buttons.",
    "report.wrong.sticker": "Stickers can't be used as an answer.",
    "report.wrong.location": "To protect you, map locations are not accepted (they may show where you are). Please type the address.",
    "report.wrong.contact": "Contact cards are not accepted (they carry a Telegram account). If you want to leave a contact, type it.",
    "report.wrong.voice": "Voice messages can't be turned into text. Please type; recordings can be sent at the evidence step.",
    "report.wrong.file": "This step needs text. Photos and files can be sent at the evidence step.",
    "report.wrong.other": "This step needs a typed answer.",
    "report.empty": "This step can't be empty. Please type your answer.",
    "report.too_long": "Too long: this step takes at most {limit} characters and you sent {length}. Please shorten it.",
    "report.first_step": "This is already the first step.",
    "report.cancelled": "Cancelled: the draft and any files were deleted. Nothing was sent.",
    "report.resume": "You have an unfinished report (at step {number}). Continue it, or start over?",
    "report.welcome_back": "Welcome back! Your draft report is saved at step {number}. Your last message was not added to it; please answer this step:",
    "report.button_old": "That button belongs to an earlier step. Please answer the latest question.",
    "report.evidence.received": '✅ File {count} received. Send more, or press "Done".',
    "report.evidence.cleaned": "Location and camera details were removed from the photo.",
    "report.evidence.caption_ignored": 'The caption was not saved; add any details under "What happened".',
    "report.evidence.text": "Please send photos or files here. When you're done, or have none, press the button below.",
    "report.evidence.wrong": "This kind of message can't be used as evidence. Please send photos, screenshots, documents, videos or recordings.",
    "report.received": (
        "✅ <b>Report received</b>\n"
        "Ticket number: <b>{ticket_number}</b>\n"
        "Receipt code: <code>{receipt_code}</code>\n\n"
        "⚠️ The receipt code is shown only this once. Take a screenshot or write it down and keep it to "
        "yourself: we keep only a scrambled digest of it and cannot recover it.\n\n"
        "Send /status with the code to follow the report, answer inspectors' questions, add evidence or turn on notifications."
    ),
    "report.already_received": "This report was already received: ticket <b>{ticket_number}</b>. The receipt code is shown only once and is not sent again.",
    "report.already_received_pending": "This report was already received: ticket <b>{ticket_number}</b>. The message with your receipt code follows in a moment.",
    "report.not_saved": '⚠️ Your report was <b>NOT</b> saved (the system is busy). Your draft is kept: please press "Confirm" again shortly.',
    # evidence files: one text per reason a file is refused
    "evidence.empty_file": "This file is empty. Please send another one.",
    "evidence.too_large": "The file is larger than {max_mb} MB, which Telegram does not let bots download. Please compress it, take a screenshot or send a shorter clip.",
    "evidence.executable": "For safety, programs and scripts are not accepted (even renamed). Please send photos, screenshots, PDFs or documents.",
    "evidence.archive": "Archives (zip, rar …) are not accepted. Please send the photos or files inside one by one.",
    "evidence.macros": "This file contains macros or scripts and is not accepted for safety. Please save it without macros, as a PDF, or send a screenshot.",
    "evidence.unsupported_type": "This file type is not accepted. Please send JPG/PNG photos, screenshots, PDFs, Word/Excel documents, videos or recordings.",
    "evidence.too_many_pixels": "This image has too many pixels to process safely. Please send a screenshot or a smaller photo.",
    "evidence.corrupt": "This file is incomplete or damaged and can't be opened. Please send it again.",
    "evidence.duplicate_file": "This file was already received.",
    "evidence.too_many_attachments": 'That is as many files as a report can take. Add more later with your receipt code, or press "Done".',
    "evidence.no_draft": "There is no report in progress. Send /report to start one.",
    "evidence.download_failed": "The file could not be downloaded. Please send it again.",
    # refusals from the services
    "refused.too_many_reports_hour": "You have sent as many reports as allowed in an hour. Please try again in {minutes} minutes, or call the tip-off line if it is urgent.",
    "refused.too_many_reports_day": "You have sent as many reports as allowed in a day. Please try again in {minutes} minutes, or call the tip-off line if it is urgent.",
    "refused.text_too_long": 'The report\'s text is too long. Please press "Edit" and shorten it.',
    "refused.description_missing": "Please describe what happened before sending.",
    "refused.too_many_attachments": 'There are too many files. Please press "Edit" to adjust.',
    "refused.ticket_closed": "This report is closed; nothing more can be added or answered.",
    "refused.question_not_open": "This question was already answered or withdrawn.",
    "refused.ticket_unknown": "This report was not found.",
    # status and follow-up
    "status.ask_code": "Please send your receipt code (16 digits, spaces are fine). Send /cancel to stop.",
    "status.code_again": "To protect your report, please send the receipt code again.",
    "status.code_malformed": "A receipt code has 16 digits. Please check it and send it again.",
    "status.code_unknown": "No report has this receipt code. Please check it and send it again.",
    "status.too_many_attempts": "Too many wrong receipt codes. Please try again in {minutes} minutes.",
    "status.view": "<b>Report {ticket_number}</b>\nStatus: <b>{status}</b>",
    "status.timeline": "<b>History</b>",
    "status.questions": "<b>Questions from the inspector</b>",
    "status.notifications_on": "Notifications: on",
    "status.notifications_off": "Notifications: off",
    "status.button.answer": "Answer question {number}",
    "status.button.evidence": "📎 Add evidence",
    "status.button.notify_on": "🔔 Notify me of progress",
    "status.button.notify_off": "🔕 Stop notifications",
    "status.button.done": "Done",
    "status.ask_answer": "Please type your answer to question {number}:",
    "status.answer_saved": "✅ Your answer was passed on to the inspector.",
    "status.ask_evidence": 'Please send photos or files (up to {max_mb} MB each), then press "Done".',
    "status.evidence_added": "✅ Added to report {ticket_number}.",
    "status.evidence_text": 'Please send photos or files; press "Done" when finished.',
    "status.notify_on": "🔔 Notifications on: I'll tell you here when the report moves on or an inspector has a question (showing only the ticket number). They stop when it is closed.",
    "status.notify_off": "🔕 Notifications off.",
    "status.done": "Done. Your receipt code was not saved.",
    "status.name.new": "received, waiting to be assigned",
    "status.name.claimed": "assigned to an inspector",
    "status.name.investigating": "being investigated",
    "status.name.awaiting_reporter": "waiting for your answer",
    "status.name.resolved": "resolved",
    "status.name.rejected": "not within scope",
    "status.name.duplicate": "duplicate, handled with another report",
    "status.name.transferred": "transferred",
    "status.name.closed": "closed",
    "timeline.received": "Report received",
    "timeline.claimed": "An inspector took it on",
    "timeline.status_changed": "Status: {status}",
    "timeline.question_asked": "The inspector asked a question",
    "timeline.question_answered": "You answered a question",
    "timeline.evidence_added": "You added evidence",
    "timeline.transferred": "Transferred to another department",
    "timeline.reopened": "Reopened",
    "timeline.merged": "Handled together with another report",
    "timeline.other": "Progress update",
    "timeline.note": "Note: {note}",
    # outbox: messages sent later (to reporters in both languages, to staff chats in Chinese)
    "outbox.status_changed": "Your report <b>{ticket_number}</b> has moved on: {status}. Send /status with your receipt code for details.",
    "outbox.question": "The inspector handling your report <b>{ticket_number}</b> has a question. Send /status with your receipt code to answer.",
    "outbox.new_ticket": "🆕 New report <b>{ticket_number}</b>\nType: {category}\nDistrict: {district}",
    "outbox.reporter_answered": "💬 Report <b>{ticket_number}</b>: the reporter answered a question.",
    "outbox.reporter_evidence": "📎 Report <b>{ticket_number}</b>: the reporter added evidence.",
    "outbox.ticket_transferred": "↪️ Report <b>{ticket_number}</b> transferred from {from_queue} to {to_queue}.",
    "outbox.deadline_reminder": "⏰ Report <b>{ticket_number}</b> ({queue}): the {deadline} deadline is {due_at}.",
    "outbox.deadline_escalation": "🚨 Report <b>{ticket_number}</b> ({queue}): the {deadline} deadline passed at {due_at}.",
    "outbox.daily_digest": "{text}",
    "outbox.other": "Report <b>{ticket_number}</b>: {kind}",
}
