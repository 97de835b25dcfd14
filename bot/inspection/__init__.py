"""Inspection: routing, queues, claims, the ticket's life with inspectors, deadlines, reports.

Plain async services over :mod:`bot.store`; none of them knows about Telegram. Import what
you need from its module (the chart's matplotlib and the spreadsheet's openpyxl load only with
the modules that draw and write them).
"""
