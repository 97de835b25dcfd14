"""The bureau's registry of tutoring institutions (白名单 / 黑名单): imports, lookups by name,
status changes, and the tickets about each institution. Plain Python: nothing here knows
Telegram. Import from its modules (importing the package alone loads none of them).
"""
