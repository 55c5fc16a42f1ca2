"""Persistence for Hromada: SQLModel tables, repositories and the unit of work.

Never imports a platform library; knows nothing of Slack or Discord.
"""
