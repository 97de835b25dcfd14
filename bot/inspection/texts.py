"""Labels for charts, exports and the daily digest, in zh-CN and en.

These are rendered outside any handler (a PNG, a spreadsheet, a digest queued for a chat), so
they live beside the code that renders them; the wording follows the glossary.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]

STATUS_NAMES: dict[Language, dict[str, str]] = {
    "zh": {
        "new": "待认领",
        "claimed": "已认领",
        "investigating": "核查中",
        "awaiting_reporter": "待补充",
        "resolved": "已办结",
        "rejected": "不予受理",
        "duplicate": "重复",
        "transferred": "已移交",
        "closed": "已关闭",
    },
    "en": {
        "new": "new",
        "claimed": "claimed",
        "investigating": "investigating",
        "awaiting_reporter": "awaiting reporter",
        "resolved": "resolved",
        "rejected": "rejected",
        "duplicate": "duplicate",
        "transferred": "transferred",
        "closed": "closed",
    },
}

CATEGORY_NAMES: dict[Language, dict[str, str]] = {
    "zh": {
        "holiday_classes": "节假日违规培训",
        "teacher_paid_tutoring": "在职教师有偿补课",
        "disguised_tutoring": "隐形变异培训",
        "unlicensed": "无证办学",
        "online_hours": "线上培训超时",
        "preschool": "学前违规培训",
        "prepaid_fees": "预收费/培训贷",
        "advertising": "违规广告",
        "school_burden": "作业考试负担",
        "other": "其他",
    },
    "en": {
        "holiday_classes": "holiday classes",
        "teacher_paid_tutoring": "teacher paid tutoring",
        "disguised_tutoring": "disguised tutoring",
        "unlicensed": "unlicensed",
        "online_hours": "online hours",
        "preschool": "preschool",
        "prepaid_fees": "prepaid fees / loans",
        "advertising": "advertising",
        "school_burden": "school burden",
        "other": "other",
    },
}

DISPOSITION_NAMES: dict[Language, dict[str, str]] = {
    "zh": {
        "substantiated": "查实",
        "unsubstantiated": "不属实",
        "referred": "移交",
        "duplicate": "重复",
        "not_in_scope": "不予受理",
    },
    "en": {
        "substantiated": "substantiated",
        "unsubstantiated": "unsubstantiated",
        "referred": "referred",
        "duplicate": "duplicate",
        "not_in_scope": "not in scope",
    },
}

CHART: dict[Language, dict[str, str]] = {
    "zh": {
        "title": "双减举报统计 {start} 至 {end}（共 {total} 件）",
        "by_status": "按状态",
        "by_category": "按类别",
        "by_district": "按区",
        "times": "时效",
        "claim_median": "认领用时中位数",
        "claim_p90": "认领用时P90",
        "resolve_median": "办结用时中位数",
        "resolve_p90": "办结用时P90",
        "claim_compliance": "按时认领率",
        "resolve_compliance": "按时办结率",
        "hours": "小时",
        "none": "无",
    },
    "en": {
        "title": "Double reduction tip-offs {start} to {end} ({total} in all)",
        "by_status": "By status",
        "by_category": "By category",
        "by_district": "By district",
        "times": "Times",
        "claim_median": "Claim time, median",
        "claim_p90": "Claim time, p90",
        "resolve_median": "Resolution time, median",
        "resolve_p90": "Resolution time, p90",
        "claim_compliance": "Claimed on time",
        "resolve_compliance": "Resolved on time",
        "hours": "h",
        "none": "none",
    },
}

EXPORT_COLUMNS: dict[Language, tuple[str, ...]] = {
    "zh": (
        "受理编号",
        "状态",
        "办理结果",
        "结果说明",
        "队列",
        "类别",
        "区",
        "机构",
        "受理时间",
        "认领人",
        "认领时间",
        "认领时限",
        "办结时间",
        "办结时限",
        "关闭时间",
    ),
    "en": (
        "ticket_number",
        "status",
        "disposition",
        "outcome",
        "queue",
        "category",
        "district",
        "institution",
        "received_at",
        "claimed_by",
        "claimed_at",
        "claim_due_at",
        "resolved_at",
        "resolve_due_at",
        "closed_at",
    ),
}

DIGEST: dict[Language, dict[str, str]] = {
    "zh": {
        "title": "【{department}】双减举报日报 {date}",
        "queue": (
            "{name}：在办 {open} 件，待认领 {unclaimed} 件（认领超时 {claim_overdue}），"
            "办结超时 {resolve_overdue} 件；近24小时新收 {received} 件，办结 {resolved} 件"
        ),
        "overdue": "超时工单：{tickets}",
        "more": "等 {count} 件",
        "nothing": "今日无在办工单。",
    },
    "en": {
        "title": "[{department}] Double reduction daily digest {date}",
        "queue": (
            "{name}: {open} open, {unclaimed} unclaimed ({claim_overdue} past the claim "
            "deadline), {resolve_overdue} past the resolve deadline; last 24 h: {received} "
            "received, {resolved} resolved"
        ),
        "overdue": "Overdue: {tickets}",
        "more": "and {count} more",
        "nothing": "No open tickets today.",
    },
}
