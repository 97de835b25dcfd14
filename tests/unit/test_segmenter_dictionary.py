"""The segmenter's dictionary: loaded without rjieba's full one, and cutting like it."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache

import rjieba  # jieba's full dictionary, built at import: the reference here, never in the bot

from bot.config import load_config
from bot.kb.loader import load_knowledge_strict
from bot.matching.dictionary import load_dictionary
from bot.matching.normalize import normalize

_CHINESE_RUN = re.compile(r"[\u3400-\u9fff]+")


@cache
def knowledge_runs() -> list[str]:
    """The Chinese runs of every question and phrasing the knowledge base indexes."""
    kb = load_knowledge_strict(list(load_config(None, environ={}).knowledge_paths))
    texts = [text for e in kb.entries.values() for text in (e.question.zh, *e.phrasings)]
    return sorted({run for text in texts for run in _CHINESE_RUN.findall(normalize(text))})


def test_the_bot_never_builds_the_full_dictionary() -> None:
    script = (
        "import sys\n"
        "from bot.config import load_config\n"
        "from bot.faq import FaqService\n"
        "FaqService.from_config(load_config(None, environ={})).ask('课后服务到几点', 'zh')\n"
        "print('rjieba' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_rjieba_can_still_be_imported_afterwards() -> None:
    script = (
        "from bot.matching.dictionary import segmenter_dictionary\n"
        "trimmed = segmenter_dictionary()\n"
        "import rjieba\n"
        "print(type(trimmed) is rjieba.Jieba, rjieba.cut('课后服务'))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "True ['课后', '服务']"


def test_text_made_of_kept_words_is_cut_and_tagged_as_with_the_full_dictionary() -> None:
    trimmed = load_dictionary()
    compared = 0
    for run in knowledge_runs():
        words = [w for w in rjieba.cut_all(run) if len(w) > 1 and rjieba.has_word(w)]
        if all(trimmed.has_word(w) for w in words):
            assert trimmed.tag(run) == rjieba.tag(run), run
            compared += 1
    assert compared > len(knowledge_runs()) / 2


def test_rarer_words_are_left_out() -> None:
    trimmed = load_dictionary()
    assert trimmed.has_word("课后") and trimmed.has_word("辅导班")
    assert rjieba.has_word("识字班") and not trimmed.has_word("识字班")
