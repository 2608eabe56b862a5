"""Reply banks for the scenarios a therapist writes: lines that fit any person in that problem area.

The library's banks name their people and details ("Mum", "the weekly reports", "Tuesdays"), so a
therapist's scenario about someone else must not borrow them. ``{name}`` is the other person's name.
"""

from __future__ import annotations

_COMMON = {
    "neutral": (
        "Okay, I'm listening. What is it you'd like to say?",
        "Right. What are you asking me, exactly?",
    ),
    "confused": (
        "Wait, don't just drop it. You brought it up, so what's wrong?",
        "I can tell something's bothering you. Please just tell me.",
    ),
}

REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "role_dispute": {
        **_COMMON,
        "defensive": (
            "That's not fair. I do my part, you know.",
            "Here we go again. Why am I always the one in the wrong?",
            "I'm not going to be spoken to like that.",
        ),
        "missing": (
            "Hm. I'm not sure what you mean. Was there something you wanted?",
            "I suppose. Anyway, is that everything?",
        ),
        "open": (
            "I didn't realise it was getting to you that much. What would help?",
            "Okay, I hear you. I don't want you to feel like that.",
        ),
        "agrees": (
            "That's fair. Let's try it your way and see how it goes this week.",
            "Okay, I can do that. Let's check in a week whether it's working.",
        ),
    },
    "role_transition": {
        **_COMMON,
        "defensive": (
            "Everyone finds changes hard. I'm not sure complaining helps.",
            "That's a bit much. I thought you were coping fine.",
            "I don't think that's a fair way to put it.",
        ),
        "missing": (
            "Sure, it's a busy time for everyone. Was there anything else?",
            "I suppose things will settle down. Anything specific?",
        ),
        "open": (
            "Thanks for telling me. I hadn't realised how much has changed for you.",
            "Okay, that's useful to know. What would make the biggest difference?",
        ),
        "agrees": (
            "That makes sense. Let's try that, and talk again in a few weeks about how it's going.",
            "Okay, agreed. I'm glad you told me what would help.",
        ),
    },
    "grief": {
        **_COMMON,
        "defensive": (
            "That's not fair. I'm dealing with it my own way.",
            "Don't tell me how to grieve. It's hard for me too.",
            "I don't want to argue about this with you.",
        ),
        "missing": (
            "Yeah, it's been a strange time. How are things otherwise?",
            "Mm. Shall we talk about something else?",
        ),
        "open": (
            "I find it hard to talk about too. I'm glad you said something.",
            "I didn't know you felt so alone with it. I'm sorry.",
        ),
        "agrees": (
            "I'd like that. Let's set a time and remember them together.",
            "Yes, let's do that. It would help me too.",
        ),
    },
    "interpersonal_deficits": {
        **_COMMON,
        "defensive": (
            "Well, you could have been in touch too, you know.",
            "That's a bit harsh. I did try.",
            "Okay... I'm not sure what you want me to say to that.",
        ),
        "missing": (
            "Yeah, we should do something sometime. Anyway, I'd better go.",
            "Sure, sometime. Nice to hear from you!",
        ),
        "open": (
            "It's really nice to hear from you. I'd like that too.",
            "I'm glad you told me. I wondered how you were.",
        ),
        "agrees": (
            "I'd love that. Let's fix a day now.",
            "Yes, let's do it. Tell me when suits you and I'll be there.",
        ),
    },
}

MODEL_LINES: dict[str, tuple[str, ...]] = {
    "role_dispute": (
        "{name}, I'd like to talk about something that has been weighing on me.",
        "I feel hurt and worn out when we end up arguing about this.",
        "I know you see it differently, and I want to hear your side too.",
        "Could we agree on one thing to change this week, and check on Sunday how it went?",
    ),
    "role_transition": (
        "{name}, I'd like to talk about how things have been since the change.",
        "I feel stretched and a bit lost in the new situation.",
        "I know it's been a change for you as well.",
        "Could we sit down this week and agree on one thing that would make it easier?",
    ),
    "grief": (
        "{name}, I've been thinking about them a lot lately, and I feel lonely with it.",
        "I know you cope in your own way, and that's alright.",
        "Could we set some time aside this month to talk about them together?",
        "Thank you. It means a lot to me.",
    ),
    "interpersonal_deficits": (
        "Hi {name}, it's been too long. I've missed you, and I feel bad I went quiet.",
        "I understand if it felt strange that I disappeared.",
        "Would you like to meet for a coffee this Saturday?",
        "Great, I'm really glad. See you then.",
    ),
}
