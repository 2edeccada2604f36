"""The demo's conversation: the demo holder, her representative and Amira's provider talk about
the rota over the two days before the load, so the holder has a reply waiting to be read.

Sent through the real service with the clock at each moment. Told once: a later load finds the
conversation and adds nothing.
"""

from __future__ import annotations

from datetime import timedelta

from marketplace import clock
from marketplace.conversations import services as conversations
from marketplace.demo.report import DemoReport
from marketplace.demo.story import Cast

# (hours before the load, who writes, what they write)
LINES = (
    (
        49,
        "holder",
        "Hello, could Amira come half an hour earlier on Thursdays? I have a hospital "
        "appointment at ten for the next few weeks.",
    ),
    (
        30,
        "provider",
        "Hello, yes: Amira can start at 7.30 on Thursdays. Shall we change the rota "
        "from next week?",
    ),
    (
        26,
        "representative",
        "Thank you, that helps. I act for her and I will take her to the appointments.",
    ),
    (2, "provider", "That is all arranged. Amira will be there at 7.30 on Thursday."),
)


def tell_conversation(cast: Cast, report: DemoReport) -> None:
    """Write the demo conversation once. Flushes only."""
    provider = cast.listing.provider
    if conversations.between(cast.holder, provider) is not None:
        return
    now = clock.now()
    people = {
        "holder": cast.holder,
        "representative": cast.representative,
        "provider": cast.provider,
    }
    with clock.frozen(now - timedelta(hours=LINES[0][0])):
        conversation = conversations.start(cast.holder, cast.holder, provider, LINES[0][2])
    for hours, who, text in LINES[1:]:
        with clock.frozen(now - timedelta(hours=hours)):
            conversations.send(people[who], conversation, text)
    report.count("demo messages", len(LINES))
