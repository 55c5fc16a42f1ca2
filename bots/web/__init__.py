"""The web view: server-rendered pages over the same core, on the same port as the bots.

An adapter like ``bots/slack``: it signs people in, turns requests into core calls with an
``Actor``, and renders the core's plain values as HTML. Nothing here is a second source of
truth: every tally, status and permission comes from core.
"""
