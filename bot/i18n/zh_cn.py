"""简体中文 (default)."""

MESSAGES: dict[str, str] = {
    "faq.source": "来源:{source}",
    "faq.related": "相关问题:",
    "faq.suggest": "您是不是想问:",
    "faq.none": (
        "抱歉,这个问题不在本机器人的解答范围内(本机器人解答“双减”政策相关问题)。"
        "您可以换个说法再问,或留言给工作人员,也可拨打热线 {citizen_hotline}。"
    ),
    "faq.empty": "请用文字输入您的问题,例如:“周末还能上英语补习班吗?”",
}
