"""English."""

MESSAGES: dict[str, str] = {
    "faq.source": "Source: {source}",
    "faq.related": "Related questions:",
    "faq.suggest": "Did you mean:",
    "faq.none": (
        "Sorry, this question is outside what this bot answers (the Double Reduction policy). "
        "Try rephrasing it, leave a question for our staff, or call {citizen_hotline}."
    ),
    "faq.empty": 'Please type your question, for example: "Can my child take English tutoring on Saturday?"',
}
