"""The Discord adapter (discord.py 2.x): command tree from the registry, embeds, reactions."""
