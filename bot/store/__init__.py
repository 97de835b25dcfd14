"""Storage: one interface (:mod:`bot.store.base`); SQLite for one process, PostgreSQL for
several instances sharing a database (:mod:`bot.store.opening` opens either). Import from its
modules: importing the package alone loads none of them, so a settings module stays light.
"""
