"""The ways parents' questions used to go wrong, one class at a time, each asserted with the
explanation ``ask --json`` prints (what was mended, which words counted, why the band)."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import pytest

from bot.config import MatchingConfig, load_config
from bot.faq import FaqService
from bot.matching.english import build_list
from bot.matching.matcher import Matcher
from bot.matching.segment import Segmenter
from bot.matching.typos import Mend, TypoMender


@cache
def service() -> FaqService:
    return FaqService.from_config(load_config(None, environ={}))


def explained(question: str) -> dict[str, object]:
    """What ``python -m bot ask --json QUESTION`` prints."""
    return service().matcher.match(question).as_json()


def explain(question: str) -> dict[str, object]:
    found = explained(question)["explain"]
    assert isinstance(found, dict)
    return found


# ---- slips of the keyboard: same sound, look-alike characters ----------------------------


@pytest.mark.parametrize(
    ("question", "typed", "read", "entry"),
    [
        ("五向管理是什么", "五向管理", "五项管理", "policy.five_management"),
        ("幼小街接班还能上吗", "幼小街接", "幼小衔接", "training.preschool"),
        ("孩子睡眼不足怎么办", "睡眼", "睡眠", "five.sleep"),
        ("怎么巨报违规补课", "巨报", "举报", "report.how_to"),
        ("寒加能补课吗", "寒加", "寒假", "training.holidays_ban"),
        ("拖管班合法吗", "拖管班", "托管班", None),
        ("举报可以匿明吗", "匿明", "匿名", "report.anonymity"),
        ("周未能上数学课吗", "周未", "周末", "training.holidays_ban"),
        ("隐性编译培训是啥意思", "隐性编译", "隐形变异", "training.disguised"),
        ("寒假能不能上学课类的班", "学课类", "学科类", "training.holidays_ban"),
    ],
)
def test_a_slip_is_mended_and_shown(
    question: str, typed: str, read: str, entry: str | None
) -> None:
    result = explained(question)
    mended = explain(question)["mended"]
    assert isinstance(mended, dict)
    assert any(t.endswith(typed) and r.endswith(read) for t, r in mended.items()), mended
    if entry is not None:
        assert (result["band"], result["id"]) == ("answer", entry)


def mender(words: list[str], dictionary: set[str], guessed: bool = True) -> TypoMender:
    def spans(run: str) -> list[tuple[int, int]]:
        return [(0, len(run))] if guessed else []

    return TypoMender(words, dictionary.__contains__, spans)


def test_a_same_sound_slip_is_mended_only_where_the_segmenter_guessed() -> None:
    assert mender(["举报"], set()).mend("巨报") == ("举报", (Mend("巨报", "举报"),))
    # Where the segmenter knew every word, a same-sound reading is not made.
    assert mender(["举报"], set(), guessed=False).mend("巨报") == ("巨报", ())


def test_a_same_sound_slip_of_whole_words_is_mended_where_three_characters_long() -> None:
    # The segmenter knows 小生 and 初, but 小生|初 sounds like the knowledge base's 小升初.
    assert explain("小生初还考试吗")["mended"] == {"小生初": "小升初"}
    # 补习|英 would cut through 英文: no reading as 补习营.
    assert explain("周末补习英文可以吗")["mended"] == {}


def test_a_sound_blurred_by_accent_is_mended_in_a_long_word() -> None:
    # shou for sou, ming for min: a southern accent, or a pinyin keyboard's fuzzy setting.
    assert explain("拍照收题软件能用吗")["mended"] == {"拍照收题": "拍照搜题"}
    assert mender(["排名"], set()).mend("排民") == ("排民", ())  # two characters: too short


def test_a_look_alike_is_mended_without_a_guess() -> None:
    assert mender(["周末"], set(), guessed=False).mend("周未") == ("周末", (Mend("周未", "周末"),))


def test_a_common_word_and_a_knowledge_base_word_are_left_as_typed() -> None:
    # The segmenter knew 老公 and 不管, so "公不" is no slip for 公布.
    assert mender(["公布"], {"老公", "不管"}, guessed=False).mend("老公不管") == ("老公不管", ())
    assert mender(["公布"], set()).mend("老公") == ("老公", ())
    assert segmenter().made_up_spans("老公不管") == []
    assert mender(["寒假", "举报"], set()).mend("寒假举报") == ("寒假举报", ())


def test_two_possible_readings_are_a_guess_not_a_mend() -> None:
    # 巨 sounds like both 举 and 拒: nothing is changed.
    assert mender(["举报", "拒报"], set()).mend("巨报") == ("巨报", ())


# ---- colloquial fillers glued onto words ----------------------------------------------------


def segmenter() -> Segmenter:
    return service().matcher.segmenter


def test_a_compound_form_is_read_as_both_its_concepts() -> None:
    # 培训费 is a fee of tutoring: folded to 收费 alone, it read like a parking fee.
    assert {"培训班", "收费"} <= set(segmenter().terms("培训费太贵了"))
    result = explained("培训费太贵了")
    assert (result["band"], result["id"]) == ("answer", "training.fees")


def test_a_filler_glued_to_a_word_comes_apart() -> None:
    # jieba's guess "娃报" is the concept 学生 (娃) and the verb 报.
    terms = segmenter().terms("娃报了个周末数学班")
    assert "娃报" not in terms and {"学生", "报", "周末", "学科类"} <= set(terms)
    assert explained("娃报了个周末数学班咋整")["id"] == "training.holidays_ban"


def test_a_dictionary_word_is_not_read_as_a_compound_of_knowledge_base_words() -> None:
    assert segmenter().known_parts("身份证", service().matcher.idf) == []
    assert explained("身份证丢了怎么办")["band"] == "none"


# ---- English with words the knowledge base does not know -----------------------------------


def test_english_unknown_words_do_not_drown_the_known_ones() -> None:
    question = "Can my kid attend a weekend maths tutoring class in Chaoyang?"
    result = explained(question)
    assert (result["band"], result["id"]) == ("answer", "training.holidays_ban")
    terms = explain(question)["terms"]
    assert isinstance(terms, list) and {"chaoyang", "周末", "学科类"} <= set(terms)


@pytest.mark.parametrize(
    ("question", "entry", "signal"),
    [
        ("what can I report", "report.what_counts", "哪些"),
        ("will they know it was me who reported", "report.anonymity", "匿名"),
        ("can a 5 year old attend english tutoring", "training.preschool", "学龄前"),
        ("how much do we pay for after school care", "afterschool.fees", "收费"),
        ("myopia prevention at school", "five.eyesight", "myopia"),
        ("no playtime between classes", "five.recess", "课间"),
    ],
)
def test_english_phrases_that_carry_the_question_are_read(
    question: str, entry: str, signal: str
) -> None:
    # Each word alone is a stopword or unknown; the phrase is the question's point.
    result = explained(question)
    assert (result["band"], result["id"]) == ("answer", entry)
    terms = explain(question)["terms"]
    assert isinstance(terms, list) and signal in terms


def test_english_words_that_describe_weigh_less_than_those_that_name() -> None:
    # "close" and "inside" are verbs, adjectives or adverbs more often than nouns (WordNet's
    # tagged senses); "passport" names what an off-topic question is about.
    by_word = {t.text: t.unknown_share for t in segmenter().analyze("close inside passport")}
    assert by_word["close"] < by_word["passport"] and by_word["inside"] < by_word["passport"]
    result = explained("the tutoring centre close down and dont give back money")
    assert (result["band"], result["id"]) == ("answer", "training.refunds")


def test_an_english_phrase_next_to_chinese_characters_is_read() -> None:
    # No space between "reduction" and 是: the phrase is still the concept.
    assert "双减" in segmenter().terms("Double Reduction是个啥")
    assert segmenter().terms("after school托管几点")[0] == "课后服务"


def test_english_irregular_forms_and_spelled_out_numbers_are_details() -> None:
    # "gave" is a form of a verb (WordNet's exception list), "ten" a number: neither names what
    # the question is about, and "list" is no longer read as a stock-market listing.
    by_word = {t.text: t.unknown_share for t in segmenter().analyze("gave ten passport")}
    assert by_word["gave"] < by_word["passport"] and by_word["ten"] < by_word["gave"]
    question = "The school gave us a list of ten novels we must buy. Do we have to?"
    result = explained(question)
    assert (result["band"], result["id"]) == ("answer", "five.reading")
    assert "上市" not in explain(question)["terms"]  # type: ignore[operator]


def test_the_english_word_list_is_built_from_wordnet_s_tagged_senses(tmp_path: Path) -> None:
    licence = "  1 This software and database is being provided to you, the LICENSEE\n"
    indexes = {
        # lemma, part of speech, synsets, pointers (and their symbols), senses, tagged senses
        "noun": licence + "close n 1 1 @ 1 1 00001\npassport n 1 1 @ 1 5 00002\n",
        "verb": licence + "close v 2 1 @ 2 9 00003 00004\n",
        "adj": "close a 1 0 1 3 00005\nrare a 1 0 1 0 00006\n",
        "adv": "",
    }
    exceptions = {"verb": "closed close\npassports passport\n", "adj": "closer close\n", "adv": ""}
    for part, text in indexes.items():
        (tmp_path / f"index.{part}").write_text(text, encoding="ascii")
    for part, text in exceptions.items():
        (tmp_path / f"{part}.exc").write_text(text, encoding="ascii")
    output = tmp_path / "words.txt.gz"
    assert build_list(tmp_path, output) == 3
    with gzip.open(output, "rt", encoding="ascii") as lines:
        # passport is a noun, rare never tagged; close's irregular forms come with it
        assert lines.read().split() == ["close", "closed", "closer"]


# ---- Cantonese and Taiwanese words ------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("小息唔畀出課室", "five.recess"),
        ("學校要求買補充評量", "homework.workbooks"),
        ("補習社有冇牌點查", "training.check_legitimacy"),
        ("補習社執咗笠，啲學費點攞返？", "training.refunds"),
        ("你都懂些啥", "contact.bot_help"),
    ],
)
def test_regional_words_are_read(question: str, entry: str) -> None:
    # 小息 is recess, 課室 a classroom (not a slip for 课时), 評量 a workbook, 有冇牌 a licence,
    # 執咗笠 closed down, 攞返 getting (money) back;
    # 唔, 畀, 冇 are particles, not words no entry knows.
    result = explained(question)
    assert (result["band"], result["id"]) == ("answer", entry), result["candidates"]


# ---- out of scope, on words shared with the knowledge base ---------------------------------


@pytest.mark.parametrize(
    ("question", "redirect"),
    [
        ("帮我写一篇作文", "outside.study_help"),
        ("暑假工去哪找", "outside.daily_life"),
        ("家长会几点开", "outside.school_services"),
        ("老师布置的手抄报怎么画", "outside.study_help"),
        ("怎么让孩子爱上阅读", "outside.study_help"),
        ("孩子数学不好怎么辅导", "outside.study_help"),
        ("娃晚上老哭闹不睡觉怎么哄", "outside.parenting"),
        ("孩子叛逆不听话怎么办", "outside.parenting"),
        ("孩子在学校被欺负了", "outside.safety"),
        ("本市初中排名前十是哪些", "outside.enrolment"),
        ("手机进水开不了机", "outside.daily_life"),
        ("居住证怎么办", None),
        ("推荐个洗衣机", None),
    ],
)
def test_out_of_scope_is_declined_and_says_where_to_go(question: str, redirect: str | None) -> None:
    result = explained(question)
    assert (result["band"], result["id"]) == ("none", None)
    reason = explain(question)["reason"]
    assert explain(question)["redirect"] == redirect
    assert isinstance(reason, str)
    if redirect is None:
        assert reason.startswith("top ") and "<" in reason
    else:
        assert reason.startswith(f"outside topic {redirect} scored") or reason.endswith(
            f" is a word of {redirect} only"
        )


@pytest.mark.parametrize(
    ("question", "redirect"),
    [
        ("跑步多久才能减肥", "outside.daily_life"),
        ("周末去超市买菜几点人少", "outside.daily_life"),
        ("暑假带孩子去哪旅游好", "outside.daily_life"),
    ],
)
def test_a_word_only_outside_topics_know_declines_a_short_question(
    question: str, redirect: str
) -> None:
    # Its other words (运动, 周末, 暑假) are the policy's, but not what it is about.
    result = explained(question)
    assert (result["band"], explain(question)["redirect"]) == ("none", redirect)


def test_a_word_only_outside_topics_know_declines_when_its_topic_scores_as_well() -> None:
    # 私教 and 退费 are tutoring refunds' words too, but the gym's topic scores as well as they
    # do: the question is the gym's, however many of the line's words it uses.
    question = "在健身房报的私教课程不退费"
    assert (explained(question)["band"], explain(question)["redirect"]) == (
        "none",
        "outside.daily_life",
    )
    assert explain(question)["reason"] == "健身房 is a word of outside.daily_life only"


def test_a_word_only_outside_topics_know_is_a_detail_of_a_situation() -> None:
    # Four words of the line's: the transfer is why the fee is asked back, not the question.
    result = explained("孩子转学了，课后服务费交了一学期能退吗")
    assert (result["band"], result["id"]) == ("answer", "afterschool.fee_refunds")


# ---- the gaps the knowledge base had ---------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("学校周末叫学生回去补课", "school.holiday_classes"),
        ("双减什么时候开始的", "policy.overview"),
        ("When did the double reduction policy begin", "policy.overview"),
        ("幼稚園小孩可以上英文班嗎", "training.preschool"),
        ("延时班要钱不", "afterschool.fees"),
        ("啥算学科类", "training.subject_vs_nonsubject"),
        ("啥能举报", "report.what_counts"),
        ("tutoring company went bankrupt and kept our money", "training.refunds"),
        ("小升初划片怎么划", "exams.school_places"),
        ("民办学校为什么要摇号", "exams.school_places"),
        ("大学生做家教违规吗", "training.private_tutors"),
        ("老师让家长群里打卡", "homework.group_checkins"),
        ("孩子近视了学校管吗", "five.eyesight"),
        ("课间十分钟不让出教室", "five.recess"),
        ("课后服务费能退吗", "afterschool.fee_refunds"),
        ("课后服务费能退回来吗", "afterschool.fee_refunds"),
        ("学校延时服务要掏钱吗", "afterschool.fees"),
        ("请家教算违规吗", "training.private_tutors"),
        ("can tutoring companies advertise on tv", "training.advertising"),
        ("How can I report an illegal buxiban in my building", "report.how_to"),
        ("成绩排名贴在墙上", "exams.ranking"),
        ("这个聊天账号能问什么", "contact.bot_help"),
        ("孩子九月上初中还要考试吗", "exams.admission"),
        ("分到哪个学校怎么查", "exams.school_places"),
    ],
)
def test_the_former_gaps_are_answered(question: str, entry: str) -> None:
    result = explained(question)
    assert (result["band"], result["id"]) == ("answer", entry), result["candidates"]


# ---- bands and their reasons ----------------------------------------------------------------


def test_an_answer_names_its_score_and_its_lead() -> None:
    result = explained("课间十分钟不让出教室")
    reason = explain("课间十分钟不让出教室")["reason"]
    assert result["band"] == "answer" and isinstance(reason, str)
    assert reason.startswith("top ") and ">= 50" in reason and "ahead by" in reason
    [top, *_] = result["candidates"]  # type: ignore[misc]
    assert set(top) == {"id", "score", "words", "chars", "trained"}


def test_a_close_call_suggests_both_and_says_so() -> None:
    result = explained("退费")
    assert result["band"] == "suggest" and result["id"] is None
    assert "close call" in str(explain("退费")["reason"])


def test_a_close_call_the_whole_entry_is_spelled_like_is_answered() -> None:
    # The after-school fees and their refunds score within 3 of each other, but the fees'
    # texts taken together are spelled most like the question: two views agree.
    question = "课后服务每学期另外收器材费 正常吗"
    result = explained(question)
    [top, runner_up, *_] = result["candidates"]  # type: ignore[misc]
    assert top["score"] - runner_up["score"] < 3
    assert (result["band"], result["id"]) == ("answer", "afterschool.fees")
    assert explain(question)["spelled"] == "afterschool.fees"
    assert "spelled most like the question" in str(explain(question)["reason"])


def test_the_classifier_trained_on_the_phrasings_tells_close_entries_apart() -> None:
    # On words outside providers lead what the service does by 2 (both know 课后服务, 老师, 上课);
    # the classifier, having learnt from all their phrasings, knows it as the providers' question.
    question = "课后服务请外面机构的老师来上课行不行"
    result = explained(question)
    [top, runner_up, *_] = result["candidates"]  # type: ignore[misc]
    assert top["words"] - runner_up["words"] < 3
    assert top["trained"] > runner_up["trained"] + 10
    assert (result["band"], result["id"]) == ("answer", "afterschool.external_providers")


def test_the_classifier_has_no_say_on_one_word() -> None:
    # Which entry owns "老师" is for the words to say, not for how many phrasings use it.
    result = explained("老师")
    assert result["band"] != "answer"
    assert all(c["trained"] is None for c in result["candidates"])  # type: ignore[attr-defined]


def test_a_long_situation_is_answered_when_words_and_spelling_agree() -> None:
    # Told as a situation, the question is mostly details no entry knows (a name, a price), so
    # it scores low; but three of its words are the legitimacy entry's, which is also spelled
    # most like it.
    question = "邻居介绍了一家叫启航学堂的机构 一节课两百 想先查查有没有资质 去哪查"
    result = explained(question)
    assert float(result["score"]) < MatchingConfig().suggest_score  # type: ignore[arg-type]
    assert (result["band"], result["id"]) == ("answer", "training.check_legitimacy")
    reason = str(explain(question)["reason"])
    assert "knows 3 of the words" in reason and "trained on phrasings most like it" in reason
    off = Matcher(service().kb, MatchingConfig(corroborated_score=100.0))
    assert off.match(question).band == "none"


def test_a_long_situation_well_ahead_needs_one_view_to_agree() -> None:
    # Its details (a test, a rank, feelings) blur the spelling of the whole entry, which finds
    # another exam entry; the classifier and a lead of 10 points on six shared words suffice.
    question = (
        "老师把这次单元测验每个人的分数按高低排好发到了家长群，我家孩子排倒数第三，心里很难受"
    )
    result = explained(question)
    assert (result["band"], result["id"]) == ("answer", "exams.ranking")
    reason = str(explain(question)["reason"])
    assert "trained on phrasings most like it" in reason and "spelled" not in reason


def test_a_long_story_both_views_agree_on_is_answered_from_a_lower_score() -> None:
    # A refund told at length: what happened, the money, the front desk; its details put it
    # below the corroborated score, but it is long, well ahead, and both views agree.
    question = (
        "去年九月在一家少儿英语机构交了两年课时费一万二，上了不到半年机构说要转型，让我们转线上课，"
        "孩子不适应想退费，客服一直拖着说财务在核算，到现在三个月了一分钱没退，我该怎么办？"
    )
    result = explained(question)
    assert float(result["score"]) < MatchingConfig().corroborated_score  # type: ignore[arg-type]
    assert (result["band"], result["id"]) == ("answer", "training.refunds")
    reason = str(explain(question)["reason"])
    assert "spelled most like" in reason and "trained on phrasings" in reason


def test_a_question_using_none_of_an_entry_s_signature_words_leans_away_from_it() -> None:
    # Paid tutoring by teachers has 有偿 in most of its texts; a school's holiday classes with
    # a materials fee shares 收费 and 补课 with it, but not that.
    matcher = service().matcher
    assert "有偿" in matcher.signature_postings and "高中" in matcher.signature_postings
    question = "暑假学校要组织补课，还收资料费，合规吗"
    paid = matcher.entry_index["teachers.paid_tutoring"]
    assert matcher._missing_signature({"寒暑假": 1.0, "收费": 1.0})[paid] == 1.0
    assert matcher._missing_signature({"有偿": 1.0})[paid] == 0.0
    result = explained(question)
    assert (result["band"], result["id"]) == ("answer", "school.holiday_classes")


def test_a_signature_word_used_counts_in_proportion() -> None:
    # After-school fee refunds has two signature words (课后服务, 退费): using one is half.
    matcher = service().matcher
    refunds = matcher.entry_index["afterschool.fee_refunds"]
    assert matcher._missing_signature({"退费": 1.0})[refunds] == 0.5
    assert matcher._missing_signature({"退费": 1.0, "课后服务": 1.0})[refunds] == 0.0


def test_a_top_entry_alone_just_below_the_answer_score_is_answered() -> None:
    # "Did you mean" would offer summer care alone: nothing else is within 12 points.
    question = "Is there any summer day care run by schools? Both my husband and I work full time."
    result = explained(question)
    score = float(result["score"])  # type: ignore[arg-type]
    assert MatchingConfig().suggest_score <= score < MatchingConfig().answer_score
    assert (result["band"], result["id"]) == ("answer", "afterschool.summer_care")
    assert "alone: ahead by" in str(explain(question)["reason"])


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("暑假想给孩子报个物理冲刺班 一共十二天三千八 这个时候还能开班吗", "training.holidays_ban"),
        ("学校让每个孩子统一订购三本课外读物 一本五十块 家长都不太愿意", "five.reading"),
    ],
)
def test_the_details_of_a_situation_do_not_drown_its_point(question: str, entry: str) -> None:
    # Prices, days and an institution's name are words no entry knows; with four or more of
    # the knowledge base's words around them they are details, not the question's subject.
    result = explained(question)
    assert (result["band"], result["id"]) == ("answer", entry)


def test_an_off_topic_question_sharing_a_word_or_two_is_still_declined() -> None:
    # "游泳" is a sports word the knowledge base knows, "几点" a time: two words, not three.
    assert explained("游泳馆暑假几点开门")["band"] == "none"


def test_a_close_call_on_one_word_is_not_settled_by_spelling() -> None:
    # "退费" alone: tutoring refunds or after-school fees? Ask, whatever the spelling says.
    assert explained("退费")["band"] == "suggest"


def test_one_word_needs_a_clear_owner() -> None:
    # "老师" is in many entries: no answer on it alone, whatever the scores.
    assert explained("老师")["band"] != "answer"


@pytest.mark.parametrize(
    ("question", "topic"),
    [("进展", "report"), ("课后服务", "afterschool"), ("延时服务", "afterschool")],
)
def test_one_word_of_one_topic_is_answered_by_its_top_entry(question: str, topic: str) -> None:
    # Every entry of the topic knows the word, so they score close; no other topic comes near.
    result = explained(question)
    assert result["band"] == "answer" and str(result["id"]).startswith(f"{topic}.")
    assert str(explain(question)["reason"]).startswith(f"one word of {topic}")


@pytest.mark.parametrize("question", ["举报", "咋举报", "巨报", "report"])
def test_the_word_report_is_answered_by_how_to_report(question: str) -> None:
    result = explained(question)
    assert (result["band"], result["id"]) == ("answer", "report.how_to")


def test_one_word_an_outside_topic_shares_is_asked_about() -> None:
    # "周末": a day out (everyday life) or weekend classes; the line's own entries come first.
    result = explained("周末")
    assert result["band"] == "suggest"
    assert result["candidates"][0]["id"] == "training.holidays_ban"  # type: ignore[index]


def test_the_thresholds_decide_the_band() -> None:
    kb = service().kb
    strict = Matcher(
        kb, MatchingConfig(answer_score=99.0, suggest_score=98.0, corroborated_score=98.0)
    )
    lenient = Matcher(kb, MatchingConfig(answer_score=30.0, suggest_score=20.0, answer_margin=0))
    question = "作业太多写到半夜 学校不管吗"  # scores 87: below strict's answer and suggest
    assert strict.match(question).band in ("suggest", "none")
    assert lenient.match(question).band == "answer"


def test_two_topics_are_both_answered_and_explained() -> None:
    question = "课后服务收费吗 几点结束"
    result = service().matcher.match(question)
    assert result.band == "answer" and result.second is not None
    assert {result.candidates[0].id, result.second.id} == {"afterschool.fees", "afterschool.hours"}
    assert explain(question)["second"] == result.second.id
    assert str(explain(question)["reason"]).startswith("two topics: ")
