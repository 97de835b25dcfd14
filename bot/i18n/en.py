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
}
