"""Communication feedback: an explainable, rule-based analyser of a message the patient means to say.

It follows the primer's "What good communication looks like": a specific situation rather than
always/never, *I* statements about one's own feelings rather than blame, a direct request rather
than hints, expectations said aloud, acknowledging the other's view, staying in the conversation,
no insults or sarcasm. Every finding carries the exact character spans of the words it reacted to,
so a page can highlight them. Feedback names strengths first, then at most two suggestions.

Rules, not a trained model: word lists and regular expressions with a little context handling
(negation, who the subject is, positive versus complaining use of "always").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FEATURES: dict[str, str] = {
    "generalisation": "Generalisation (always / never)",
    "blame_you_accusation": "Blame or a you-accusation",
    "hint": "A hint instead of a direct request",
    "unstated_expectation": "An expectation not said aloud",
    "withdrawal": "Withdrawing from the conversation",
    "insult_sarcasm": "Insult or sarcasm",
    "i_statement_feeling": "An I statement about your feelings",
    "specific_situation": "A specific situation",
    "clear_request": "A clear request",
    "acknowledge_other_view": "Acknowledging the other person's view",
}
PROBLEMS = (
    "insult_sarcasm",
    "blame_you_accusation",
    "generalisation",
    "withdrawal",
    "unstated_expectation",
    "hint",
)
STRENGTHS = ("i_statement_feeling", "specific_situation", "clear_request", "acknowledge_other_view")
MAX_SUGGESTIONS = 2


@dataclass(frozen=True)
class Finding:
    feature: str
    label: str
    kind: str  # "strength" | "problem"
    spans: list[tuple[int, int]]
    explanation: str

    def words(self, text: str) -> list[str]:
        return [text[start:end] for start, end in self.spans]


@dataclass
class Analysis:
    text: str
    findings: list[Finding] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    features: set[str] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "features": sorted(self.features),
            "findings": [
                {
                    "feature": f.feature,
                    "label": f.label,
                    "kind": f.kind,
                    "spans": [list(span) for span in f.spans],
                    "words": f.words(self.text),
                    "explanation": f.explanation,
                }
                for f in self.findings
            ],
            "strengths": self.strengths,
            "suggestions": self.suggestions,
        }


# --- text helpers -----------------------------------------------------------------------------

_FLAGS = re.IGNORECASE
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*", _FLAGS)


def _normalise(text: str) -> str:
    """Same length as ``text`` (spans stay valid): typographic apostrophes become plain ones."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


# Texting shorthand, read as the words it stands for ("u never reply", "im so anxious", "tmrw").
_SHORTHAND = {
    "u": "you",
    "ur": "your",
    "im": "i'm",
    "ive": "i've",
    "youre": "you're",
    "youd": "you'd",
    "youve": "you've",
    "youll": "you'll",
    "dont": "don't",
    "cant": "can't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "wont": "won't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "havent": "haven't",
    "shouldnt": "shouldn't",
    "wouldnt": "wouldn't",
    "couldnt": "couldn't",
    "thats": "that's",
    "whats": "what's",
    "theres": "there's",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tonite": "tonight",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "coz": "because",
    "bc": "because",
    "ppl": "people",
    "kinda": "kind of",
    "wanna": "want to",
    "gonna": "going to",
}
# "ur" is "you're" before these, "your" otherwise ("ur mugs").
_UR_IS_YOU_ARE = re.compile(
    r"\s+(so|such|a|an|the|not|always|never|being|literally|actually|really|just|too|very|right|wrong|"
    r"disgusting|unbelievable|joking|kidding|welcome|kind|amazing|the\s+best|\w+ing)\b",
    re.IGNORECASE,
)
_SHORTHAND_WORD = re.compile(r"\b(" + "|".join(_SHORTHAND) + r")\b", re.IGNORECASE)


def _expand(text: str) -> tuple[str, list[int]]:
    """The text with shorthand written out, and for each of its characters the index it came from."""
    pieces: list[str] = []
    origin: list[int] = []
    position = 0
    for m in _SHORTHAND_WORD.finditer(text):
        pieces.append(text[position : m.start()])
        origin.extend(range(position, m.start()))
        word = _SHORTHAND[m.group().lower()]
        if word == "your" and _UR_IS_YOU_ARE.match(text, m.end()):
            word = "you're"  # "ur so embarrassing", "no ur right"
        pieces.append(word)
        origin.extend(m.start() + min(k, m.end() - m.start() - 1) for k in range(len(word)))
        position = m.end()
    pieces.append(text[position:])
    origin.extend(range(position, len(text)))
    return "".join(pieces), origin


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]


def _clause_after(text: str, end: int) -> str:
    match = re.match(r"[^.!?,;\n]*", text[end:])
    return match.group() if match else ""


def _clause_before(text: str, start: int) -> str:
    head = text[:start]
    cut = max(head.rfind(ch) for ch in ".!?,;\n")
    return head[cut + 1 :]


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _FLAGS)


# Words that make "always"/"you make me" warm rather than a complaint.
_POSITIVE = _c(
    r"\b(love|loved|lovely|laugh|smile|happy|proud|good to me|great|kind|there for me|remember|"
    r"thank|thanks|support|safe|special|fun|best|beautiful|amazing|brilliant|welcome|backed|appreciate|"
    r"cheer\w*\s+(me|us|everyone)\s+up|feel\s+better|gorgeous|stunning|handsome|(have|got)\s+my\s+back|"
    r"know\s+(just\s+)?(what|how)\s+to\s+(say|help|make))\b"
)
_SARCASTIC_OPENER = _c(
    r"^\s*(oh,?\s+(great|brilliant|lovely|sure|yes|wonderful|perfect|joy|right|well\s+done|how\s+nice|fab|fabulous|"
    r"marvellous|charming|excellent|sick|of\s+course,?\s+(the|my|your))|wow[.!]\s+really|loving\s+the\s+new|wow,?\s+you\s+(remembered|managed|actually|finally)|"
    r"don't\s+(get\s+up|rush|put\s+yourself\s+out|trouble\s+yourself)(?=[^.!?]*\bmyself\b)|"
    r"oh,?\s+don't\s+(get\s+up|rush|put\s+yourself\s+out|trouble\s+yourself)|"
    r"(cheers|thanks)\s+((so\s+)?much\s+|a\s+lot\s+)?for\s+(leaving|not|never|forgetting|eating|finishing|using|ignoring|"
    r"waking)|"
    r"wonderful|fantastic|brilliant \w+|nice one|great \w+ as usual|real mature|typical|what\s+a\s+surprise|"
    r"that's\s+rich|cheers\s+for\s+(the|that|nothing)|really\s+helpful|very\s+helpful|another\s+genius|"
    r"how\s+(nice|lovely|thoughtful|kind|generous)(\s+of\s+you)?|well\s+aren't\s+you|aren't\s+you\s+(clever|special|"
    r"something)|big\s+surprise|oh\s+(joy|goody)|yeah\s+right|sure\s+you\s+(did|will)|oh\s+please|"
    r"thanks\s+so\s+much|super|just\s+great|just\s+perfect|marvellous|terrific|"
    r"oh\s+(wow|fantastic|marvellous|super|how\s+\w+)|as\s+if|sure\s+(you|he|she|they)\s+(are|were|did|will|do|have|can|would)|"
    r"of\s+course\s+you\s+(did|do|are|were|have|would|didn't|don't|forgot|won't|wouldn't|couldn't)|((well|oh),?\s+)?look\s+who('s|\s+has|\s+decided|\s+finally)|"
    r"about\s+time|nice\s+going|way\s+to\s+go|big\s+deal|whoop(-|\s)?de(-|\s)?doo|lucky\s+me|"
    r"well,?\s+that\s+was\s+(clever|smart|helpful|useful|brilliant|great|nice|productive)|"
    r"(congratulations|congrats|well\s+done|bravo|good\s+job),?\s+you('ve|\s+have)?\s+(managed|finally|actually|really|just|won)|"
    r"(great|brilliant|lovely|perfect|fantastic|wonderful|marvellous|super|excellent|charming|terrific)[,!.]+\s*"
    r"(?=(just\s+)?(another|again|more\s+\w+|so\s+(now\s+)?(i'm|i\s+am|i\s+have|i've|i\s+get|we're|you're|now)|"
    r"just\s+what\s+(i|we)|as\s+usual|that's\s+all\s+(i|we)\s+need|now\s+(i|we)\s+(have|get|'ve|can't)|"
    r"thanks\s+for\s+that|the\s+\w+('s|\s+is|\s+are)\s+(still|broken|late|gone)|(the\s+)?\w+\s+(is|are)\s+still)))\b"
)


# --- problem detectors ------------------------------------------------------------------------

_DAY_NAMES = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december"
)
_GENERAL_WORDS = _c(
    r"\b(always|never|every\s+(single\s+|bloody\s+|damn\s+|flipping\s+)?(time|day|night|week|weekend|morning|evening)|"
    r"everything|nothing|nobody|no\s+one|everyone|everybody|all\s+the\s+time|constantly|"
    r"as\s+usual|not\s+once|only\s+(one\s+who\s+)?ever|every\s+(single\s+)?thing|"
    r"a\s+(hundred|thousand|million)\s+times|none\s+of\s+(you|them)(\s+(ever|even))?|"
    r"(like|as\s+if)\s+you('ve|\s+have|'d|\s+had)?\s+ever|"
    r"every\s+(single\s+)?(christmas|birthday|holiday|summer|winter|year|month|visit|conversation|argument|"
    r"row|family\s+\w+)|the\s+only\s+time|as\s+ever|whenever(?=\s+(i|we)\b[^.!?]*\byou\b)|24/7|24-7|day\s+and\s+night|night\s+and\s+day|"
    r"only\s+(ever\s+)?(ring|rings|call|calls|phone|phones|text|texts|visit|visits|come|comes|turn\s+up|get\s+in\s+touch)\s+when|"
    r"every\s+(single\s+|bloody\s+|damn\s+|last\s+)?(?!("
    + _DAY_NAMES
    + r"|one|other|now|so|bit|once|reason|right|chance|intention|confidence|sympathy|respect|"
    r"faith|hope|opportunity|penny|weekday|workday|fortnight)\b)[a-z]{3,})\b"
)
_SELF_SUBJECT = _c(r"\b(i|i'd|i'll|i've|we'd|we'll)\s+(would\s+|will\s+|have\s+|had\s+)?(got\s+)?$")
_SELF_KNOWING = _c(r"\bi\s+(know|knew|understand|understood|remember|remembered|recall)\s+$")
# "We never do anything fun" complains about the relationship; "we never meant to", "we always had
# Sunday roast" do not.
_WE_NOT_SWEEPING = _c(
    r"\s+(want|wanted|thought|meant|forget|will|stop|stopped|knew|realised|realized|expected|used\s+to|"
    r"had|went|did|made|spent|loved|enjoyed)\b"
)
_NEVER_FAILS = _c(r"\s+(let\s+(me|us)\s+down|fails?\s+to|failed\s+to|stops?|stopped|gives?\s+up|gave\s+up)\b")
_PERSON_QUANTIFIER = {"everyone", "everybody", "nobody", "no one", "anyone"}
# Words after which "everyone"/"nobody" starts a clause (a sweeping subject), rather than being an
# object ("in front of everyone", "seeing everyone again").
_SUBJECT_LEAD = {
    "",
    "and",
    "but",
    "or",
    "so",
    "because",
    "cos",
    "when",
    "if",
    "that",
    "like",
    "where",
    "why",
    "how",
    "think",
    "feel",
    "feels",
    "seems",
    "reckon",
    "guess",
    "suppose",
    "then",
    "now",
    "just",
    "honestly",
    "basically",
    "literally",
    "here",
    "there",
    "does",
    "do",
    "did",
    "is",
    "will",
    "would",
    "can",
    "could",
    "has",
    "have",
    "it's",
    "mean",
    "swear",
    "well",
    "oh",
    "yes",
    "no",
    "apparently",
    "obviously",
    "course",
    "seriously",
    "sure",
    "know",
    "bet",
    "whole",
    "shame",
    "as",
    "whenever",
    "since",
    "until",
}
_ALWAYS_NEARBY = _c(
    r"\b(always|never|ever|constantly|all\s+the\s+time|every\s+(single\s+)?time|any\s*more)\b"
)
# A past-tense verb right after "nobody"/"everyone": one occasion ("nobody came to my talk"), not a pattern.
_PAST = _c(
    r"('s|\s+has|\s+have)?\s+((really|even|just|actually|all)\s+)?(\w+ed|was|were|came|thought|said|went|did|had|knew|told|gave|took|"
    r"left|saw|got|made|brought|sent|rang|bought|sang|ate|drank|forgot|found|heard|felt|wrote|spoke)\b"
)


_ADDRESSEE = _c(r"\b(you|your|you're|we|us|our)\b")
_PERSON_WORD = _c(
    r"\b(you|your|we|us|our|me|my|i|i'm|i've|he|she|they|him|her|them|everyone|everybody|nobody|no\s+one|someone)\b"
)


def _generalisation(text: str, sarcastic: bool) -> list[tuple[int, int]]:
    spans = []
    for m in _GENERAL_WORDS.finditer(text):
        word = re.sub(r"\s+", " ", m.group().lower())
        before = text[: m.start()]
        after = _clause_after(text, m.end())
        clause_before = _clause_before(text, m.start())
        if word == "never" and re.match(r"\s+mind\b", text[m.end() :], _FLAGS):
            continue  # "never mind" is withdrawal, not a generalisation
        if (
            word == "never"
            and re.search(r"\byou\s+$", before, _FLAGS)
            and re.match(r"\s+know\b", after, _FLAGS)
        ):
            continue  # "you never know" (idiom)
        if word == "never" and _SURPRISE.match(text, max(0, m.start() - 4)):
            continue  # "You never told me you played the piano!"
        if word == "nothing" and re.search(r"\bfor\s+$", before, _FLAGS):
            continue  # "thanks for nothing" is sarcasm, handled there
        if word == "nothing" and re.match(r"\s+(wrong|to worry)", after, _FLAGS):
            continue
        if word == "everything" and re.search(r"\bafter\s+$", before, _FLAGS):
            continue  # "after everything I've done": an idiom of grievance, not a sweeping claim
        if (
            word == "nothing"
            and re.search(r"\bthere('s|\s+is|\s+was)\s+$", before, _FLAGS)
            and re.match(r"\s+(left\s+)?(in|on|left)\b", after, _FLAGS)
            and not _ALWAYS_NEARBY.search(clause_before + after)
        ):
            continue  # "there's nothing in the fridge": a plain fact
        if word in {"nobody", "no one", "nothing", "anyone"} and re.match(r"\s+to\b", after, _FLAGS):
            continue  # "no one to go with": someone missing, not a sweeping claim
        if _SELF_SUBJECT.search(before[-24:]):
            continue  # "I never want to lose you": about oneself, not a sweeping claim about the other
        if word == "nothing" and _SELF_KNOWING.search(before[-24:]) and not _ALWAYS_NEARBY.search(after):
            continue  # "I know nothing about cars": about oneself ("I do everything here" still counts)
        if re.search(r"\bwe\s+$", before[-8:], _FLAGS) and _WE_NOT_SWEEPING.match(after):
            continue
        if word in _PERSON_QUANTIFIER or word in {"everything", "nothing"}:
            words_before = re.findall(r"[\w']+", clause_before.lower())
            lead = words_before[-1] if words_before else ""
            habitual = _ALWAYS_NEARBY.search(clause_before + after)
            if word in _PERSON_QUANTIFIER and lead not in _SUBJECT_LEAD and not habitual:
                continue  # "in front of everyone", "seeing everyone again", "balance everyone's requests"
            if (
                word in _PERSON_QUANTIFIER
                and re.match(r"\s+else\b", after)
                and lead in {"like", "than", "as"}
            ):
                continue  # "like everyone else": a comparison
            if word in _PERSON_QUANTIFIER and re.search(
                r"\blike\s+(\w+\s+){1,2}(did|does|do|used\s+to)\b|\blike\s+you\s*[.!]*$", after, _FLAGS
            ):
                continue  # "no one makes lasagne like Nan did": praise by comparison
            if word in _PERSON_QUANTIFIER and lead in {"guess", "suppose"} and not habitual:
                continue  # "I guess nobody wants to come": a resigned hint about one occasion
            if lead in _SUBJECT_LEAD and _PAST.match(after) and not habitual:
                continue  # "when nobody came to my talk": one occasion
        if (
            word == "always"
            and re.search(r"\b(is|are|was|were|it's|it\s+is)\s+$", before, _FLAGS)
            and not _PERSON_WORD.search(_sentence_of(text, (m.start(), m.end())))
        ):
            continue  # "the car park is always rammed": a fact about a thing, not about the other person
        if (
            word == "never"
            and not clause_before.strip()
            and re.match(r"\s+(thought|imagined|expected|knew|dreamed|dreamt)\b", after, _FLAGS)
        ):
            continue  # "Never thought I'd see Dad on a jet ski": "I" left out, about oneself
        if (
            word == "always"
            and re.search(r"\b(?!This|That|It|Everything|Nothing)[A-Z][a-z]+\s+$", before)
            and not _ADDRESSEE.search(_sentence_of(text, (m.start(), m.end())))
        ):
            continue  # "Grandma always said…": about someone else, not the person spoken to
        if (
            word == "always"
            and re.search(r"\b(it's|it\s+is|it\s+was)\s+$", before, _FLAGS)
            and not re.match(r"\s+(me|you|us|about|the\s+same|your|my)\b", after, _FLAGS)
        ):
            continue  # "it's always rammed": a fact about a place
        if word == "always" and re.match(
            r"\s+(up\s+for|happy\s+to|glad\s+to|here\s+for|there\s+for)\b", after, _FLAGS
        ):
            continue  # "I'm always up for a curry": a warm offer
        if word == "never" and not clause_before.strip() and re.match(r"\s+forget\b", after, _FLAGS):
            continue  # "never forget that": an imperative
        if word == "never" and _NEVER_FAILS.match(after):
            continue  # "you never let me down": praise
        if word == "nothing" and re.match(
            r"\s+([\w']+\s+){0,3}(happier|better|nicer|more\s+important)\b", after, _FLAGS
        ):
            continue  # "nothing makes me happier than…"
        clause = clause_before + m.group() + after
        negated_good = word == "never"
        if not sarcastic and not negated_good and _POSITIVE.search(clause) and not _FAVOURED.search(clause):
            continue  # "you always make me laugh", "everyone had a great time"; not "we never do anything fun"
        spans.append((m.start(), m.end()))
    return spans


# Names people call each other: an insult, and aimed at "you" an accusation too.
_INSULT_NOUN = (
    r"(liar|snake|slob|pig|cow|prat|muppet|coward|bully|hypocrite|brat|leech|snob|jerk|fool|idiot|moron|"
    r"loser|creep|waste\s+of\s+space|nightmare|disgrace|narcissist|control\s+freak|drama\s+queen|witch|git|"
    r"dick|bastard|cow|old\s+woman|old\s+man)"
)
_NEGATIVE_TRAIT = (
    r"(selfish|lazy|useless|pathetic|hopeless|impossible|ridiculous|childish|stupid|an?\s+idiot|"
    r"a\s+liar|a\s+joke|a\s+nightmare|so\s+\w+ish|unbelievable|the\s+victim|such\s+an?\s+[\w ]+|"
    r"rude|mean|cruel|thoughtless|inconsiderate|unreliable|controlling|arrogant|unbearable|"
    r"insensitive|ungrateful|irresponsible|careless|incompetent|clueless|two-faced|manipulative|"
    r"spoilt|spoiled|a\s+hypocrite|a\s+bully|a\s+coward|an?\s+(complete|total|absolute|utter)\s+\w+|"
    r"disgusting|gross|vile|fake|so\s+fake|two-faced|so\s+embarrassing|embarrassing|a\s+grown\s+(man|woman|adult)|"
    r"an?\s+(\w+\s+)?" + _INSULT_NOUN + r")"
)
# Acts a listener hears as an accusation when "you" did them (past, present or "have been -ing").
_BLAME_ACT = (
    r"(ruined|ruin|wrecked|spoil(ed|t)?|let\s+me\s+down|poisoned|turned\s+[\w\s]{0,20}against\s+me|"
    r"took\s+(the\s+)?credit|(had|have|'ve\s+had)\s+it\s+in\s+for|picked\s+on|pick\s+on|picking\s+on|"
    r"told\s+[\w\s]{0,20}my\s+(news|secret|business)|told\s+\w+\s+what\s+i\s+(said|told\s+you)|moved\s+my|cancelled\s+my|"
    r"changed\s+my|left\s+me\s+on\s+read|still\s+(left|went|did|said|forgot)|knew\s+(full\s+well|perfectly\s+well|exactly)|"
    r"been\s+on\s+at\s+me|left\s+the\s+\w+\s+(on|open|running|unlocked)|"
    r"upset\s+(me|mum|dad|everyone|the\s+\w+)|ignored|ignore|ignoring|embarrassed|"
    r"humiliated|treat\s+me\s+like|treated\s+me\s+like|set\s+me\s+up|left\s+me|forget|forgot|messed\s+up|"
    r"broke|lied|lie\s+to\s+me|lying|betrayed|abandoned|ditched|dumped|blamed|undermined|"
    r"interrupted|criticised|criticized|mocked|belittled|laughed\s+at\s+me|talked\s+over\s+me|"
    r"shouted|yelled|screamed|swore|snapped|stormed\s+off|walked\s+out|hung\s+up|cheated|"
    r"went\s+behind\s+my\s+back|stabbed\s+me\s+in\s+the\s+back|threw\s+me\s+under\s+the\s+bus|"
    r"hung\s+me\s+out\s+to\s+dry|made\s+a\s+fool\s+of\s+me|made\s+me\s+look|showed\s+me\s+up|"
    r"avoided|avoiding|dismissed|overruled|went\s+through\s+my|read\s+my|(ate|drank|finished|used|broke|"
    r"lost|took|borrowed)\s+my\s+\w+\s+(again|without)|(ate|drank|finished|broke|lost)\s+my)"
)
_BLAME = _c(
    # causes: "you made me", "your fault", "because of you", "you're the reason / the one who"
    r"\byou(\s+|'ve\s+|\s+have\s+)(made|make)\s+(me|this|it|everything)\b|"
    r"\b(it's|it\s+is|it\s+was|that's|this\s+is|that\s+is)\s+(all\s+)?your\s+(own\s+)?fault\b|"
    r"\bbecause\s+of\s+you\b|\byou('re|\s+are)\s+the\s+(reason|one\s+who|one\s+that|problem)\b|"
    r"\b(it's|it\s+is|it\s+was|that's|all)\s+because\s+you\b|"
    r"\bbecause\s+you\s+(just\s+)?(didn't|did\s+not|don't|never|wouldn't|couldn't|won't|can't|forgot|refused|"
    r"ignored|lied|interfered|left|decided|insisted|had\s+to|always)\b|"
    # you + a blameworthy act
    r"\byou(\s+|'ve\s+|\s+have\s+|\s+just\s+|'ve\s+just\s+|'ve\s+been\s+|\s+have\s+been\s+|'re\s+)"
    + r"((literally|actually|clearly|totally|completely|basically)\s+)?(managed\s+to\s+)?"
    + _BLAME_ACT
    + r"\b|"
    r"\byou('re|\s+are)\s+(acting|behaving|being)\s+(like|so|really|ridiculous|unfair|selfish|childish|unreasonable|"
    r"difficult|impossible|mean|cruel|horrible)\b|\byou('re|\s+are)\s+\w+\s+again\b|"
    r"\byou\s+(just\s+)?(sat|stood)\s+there\b|"
    r"\byou\s+(left|leave)\s+(the|my|our|your|it)\b[^.!?]{0,25}\b(in\s+a\s+(state|mess|tip)|a\s+(mess|tip))|"
    r"\byou\s+(constantly\s+\w+|keep\s+\w+ing|kept\s+\w+ing)\b|\byou('ve|\s+have)\s+been\s+(really\s+|so\s+|very\s+)?(unfair|mean|cruel|"
    r"horrible|rude|selfish|awful|impossible|unkind|cold|distant|ignoring)\b|"
    r"\bwithout\s+(even\s+|ever\s+|so\s+much\s+as\s+)?(telling|asking|consulting|checking\s+with|warning)\s+me\b|"
    r"\byou\s+(just\s+)?(didn't|did\s+not|won't|wouldn't)\s*[.!]|"
    r"\byou\s+(promised|said\s+you\s+would|said\s+you'd)\b[^.!?]*\b(but|and\s+then|and\s+you\s+(didn't|never))\b|"
    r"\byou\s+(broke|broken)\s+(your|my)\s+(promise|word|trust)\b|"
    # you + not caring, not trying, not even
    r"\byou\s+(clearly\s+|just\s+|really\s+|obviously\s+)?(don't|do\s+not|didn't|did\s+not)\s+(even\s+)?"
    r"(care|listen|try|help|bother|show\s+up|understand|think|notice|ask|appreciate|give\s+a\s+(toss|damn|monkey's|stuff))\b|"
    r"\byou\s+(can't|couldn't|didn't|don't|won't|wouldn't|never)\s+even\b|"
    r"\byou\s+(couldn't|can't)\s+(even\s+)?be\s+bothered\b|"
    r"\byou('ve|\s+have)?\s*(got\s+)?(no|not\s+a)\s+(idea|clue)\b|\byou\s+(don't|do\s+not)\s+have\s+a\s+clue\b|"
    r"\byou\s+only\s+(ever\s+)?(think|care)\s+about\s+(yourself|you)\b|\byou\s+(think|care)\s+only\s+about\s+(yourself|you)\b|"
    r"\btypical\s+you\b|\byou\s+(\w+[\s-]+){0,2}" + _INSULT_NOUN + r"\s*[.!]|"
    r"\b(always|never)\s+you\s+(are|do|have|go|talk|say|want)\b|\bwhenever\s+(i|we)\b[^.!?]*\byou\s+(?!know\b)\w+|"
    r"\b(it's|it\s+is)\s+(always|constantly|all|only\s+ever)\s+about\s+(you|your)\b|"
    r"\balways\s+(at\s+the\s+)?(bottom|last)\s+(of\s+)?your\s+(list|priorities)\b|"
    r"\bevery\s+(single\s+|bloody\s+|damn\s+)?\w+\s+(\w+\s+){0,3}ends\s+with\s+you\b|"
    r"\byou(\s+lot|\s+guys|\s+all)?\s+only\s+(ever\s+)?(ring|call|phone|text|visit|come|turn\s+up|get\s+in\s+touch|bother)\b|"
    r"\byou('ve|\s+have)?\s+(got|have|find|found)\s+(time|money)\s+for\b[^.!?]*\bbut\s+(never|not)\b|"
    r"\bif\s+you\s+were\s+(that|so|really)\s+\w+\s*,?\s*you('d|\s+would)\s+have\b|"
    r"\bhow\s+(have|has|did|could)\s+you\s+not\s+(noticed|notice|seen|see|realised|realized|known)\b|"
    r"\bwouldn't\s+(have\s+)?kill(ed)?\s+you\b|\bwhat's\s+that\s+(all\s+)?about\s*\?|"
    r"\byou\s+couldn't\s+organi[sz]e\s+a\b|"
    r"\byou\s+\w+[^.!?]*\band\s+now\s+(i|we|she|he|they)('m|'re|\s+am|\s+are|\s+is|\s+have\s+to|\s+won't|\s+can't|"
    r"\s+don't)\b|\bwhat\s+an?\s+(\w+\s+)?" + _INSULT_NOUN + r"\s+you\s+(are|were)\b|"
    r"\bevery\s+(single\s+|bloody\s+|damn\s+|flipping\s+)?time\b[^.!?]*,\s*you\s+(?!know\b)\w+|\b(it's|it\s+is|it\s+was)\s+never\s+your\s+fault\b|"
    r"\b(is|was|will\s+be)\s+(ever|never)\s+(good\s+)?enough\s+for\s+you\b|"
    r"\bthe\s+only\s+time\s+(i|we)\s+(ever\s+)?(hear|see|get)\b[^.!?]*\byou(r)?\b|"
    r"\byou('ve|\s+have)\s+been\s+(using|eating|taking|borrowing|reading|wearing|going\s+through|drinking|nicking|"
    r"stealing)\s+my\b|\bbecause\s+of\s+your\b|\blike\s+talking\s+to\s+a\s+(brick\s+)?wall\b|"
    r"\byou('re|\s+are|\s+were)\s+(always\s+|constantly\s+|glued\s+to\s+|still\s+)?on\s+your\s+phone\b|"
    r"\byou(\s+have|'ve)?\s+(made|make)\s+my\s+\w+\s+(a\s+)?(misery|hell|nightmare|harder|worse|impossible)\b|"
    r"\bi\s+feel\s+(like|as\s+if|as\s+though)\s+you('d|\s+would)\s+rather\b|"
    r"\bi\s+feel\s+(like|as\s+if|as\s+though)\s+you\s+(don't|do\s+not|never|always|only|just\s+don't|can't)\s+"
    r"(care|want|listen|notice|think|bother|make|take|see|respect|value|try)\b|\bmaking\s+(it|this|everything)\s+(all\s+)?about\s+(yourself|you)\b|"
    r"\bnone\s+of\s+you\s+(ever|even|bother|cares?|helps?|asks?|listens?|thinks?)\b|"
    r"\bare\s+you\s+(physically\s+)?(incapable|unable)\s+of\b|"
    r"\byou\s+(didn't|did\s+not|never|forgot\s+to|failed\s+to)\b[^.!?]*\bso\s+(of\s+course|naturally|obviously)\b|\ball\s+you\s+(ever\s+)?(care|think)\s+about\b|"
    r"\b(look|see)\s+(at\s+)?what\s+you('ve|\s+have)?\s+(done|did)\b|"
    # counterfactual blame: "if you had listened, none of this would have happened"
    r"\bif\s+you('d|\s+had|\s+hadn't|\s+had\s+not|\s+didn't|\s+wasn't|\s+weren't)\b[^.!?]*\b(wouldn't|would\s+not|"
    r"would\s+never|none\s+of\s+this|would\s+still\s+be|would\s+have\s+been\s+fine)\b|"
    r"\b(i|we)\s+(wouldn't|would\s+not|would\s+never)\s+have\s+\w+[^.!?]*\bif\s+you('d|\s+had|\s+hadn't|\s+had\s+not)\b|"
    # accusatory questions
    r"\bwhy\s+(do|did|would|does)\s+you\s+(always|never|keep|have\s+to|even|insist|bother)\b|"
    r"\bwhy\s+(didn't|can't|won't|couldn't|wouldn't|did\s+you\s+not)\s+you\b|\bwhy\s+can't\s+you\b|"
    r"\bwhy\s+(are|were)\s+you\s+(like\s+(this|that)|being|so|always|acting|still|even)\b|"
    r"\bwhy\s+would\s+you\b|\bhow\s+could\s+you\b|\bhow\s+dare\s+you\b|"
    r"\bwhat('s|\s+is)\s+(wrong\s+with\s+you|your\s+problem)\b|\bwho\s+do\s+you\s+think\s+you\s+are\b|"
    r"\byou('ve|\s+have)?\s+((literally|just|basically|honestly|seriously|actually)\s+)?(always|never|only\s+ever)\b|\byou('re|\s+are)\s+(always|constantly|forever|never)\b|"
    r"\byou('re|\s+are|\s+were)\s+(always|constantly|so|such|being|just|an?|the)?\s*" + _NEGATIVE_TRAIT
)
# "You've always loved him more": warm words, a complaint of favouritism.
_FAVOURED = _c(
    r"\b(him|her|them|\w+)\s+(more|better)\s+than\s+me\b|\b(loved|liked|preferred|favoured)\s+\w+\s+more\b"
)
_THANKS_TO_YOU = _c(r"\bthanks\s+to\s+you\b")
# Outcomes that make "because of you" / "thanks to you" grateful rather than accusing.
_GOOD_OUTCOME = _c(
    r"\b(got\s+through|made\s+it|better|managed|survived|passed|finally|got\s+the|happy|happier|"
    r"safe|proud|helped|help|kept\s+me\s+going|possible|here\s+today|smil\w*|laugh\w*|love\w*|thank\w*)\b"
)
_BAD_OUTCOME = _c(
    r"\b(missed|late|lost|ruined|wasted|shout\w*|argu\w*|mess|can't|couldn't|didn't|won't|no\s+longer|"
    r"have\s+to|had\s+to|got\s+to|redo|hate|angry|upset|cancel\w*|embarrass\w*|fired|sacked|broke|broken|heard|"
    r"now\s+(i|we)|nobody|no\s+one|everyone\s+(knows|thinks)|trouble|stuck|blamed|worse|laughing\s+at|gone|left)\b"
)

_MAKE_ME_BAD = _c(
    r"\s+(feel\s+(like\s+)?(stupid|small|bad|guilty|useless|worthless|a\s+failure)|angry|so\s+angry|sick|"
    r"miserable|do\s+everything|late)"
)
_SURPRISE = _c(r"\byou\s+never\s+(told|said|mentioned)\s+(me\s+)?(that\s+)?(you|your)\b[^.?!]*!")
_KIND_TRAIT = _c(r"\byou('re|\s+are)\s+(always|constantly)\s+so\s+(?!" + _NEGATIVE_TRAIT[1:])


def _blame(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        for m in _THANKS_TO_YOU.finditer(sentence):
            rest = _clause_after(sentence, m.end()) + sentence[m.end() :]
            if _BAD_OUTCOME.search(rest) and not _GOOD_OUTCOME.search(rest):
                spans.append((start + m.start(), start + m.end()))
        if _SURPRISE.search(sentence):
            continue  # "You never told me you played the piano!": a pleased surprise
        for m in _BLAME.finditer(sentence):
            after = _clause_after(sentence, m.end())
            group = m.group().lower()
            if re.match(r"you('ve|\s+have)?\s+(\w+\s+)?never$", group) and (
                re.match(r"\s+know\b", after, _FLAGS) or _NEVER_FAILS.match(after)
            ):
                continue  # "you never know" (idiom), "you never let me down" (praise)
            feeling = _I_FEEL.search(sentence[: m.start()]) or _I_FEEL_COMPACT.search(sentence[: m.start()])
            if feeling and re.fullmatch(
                r"\s*(that|when|because|how)?\s*", sentence[feeling.end() : m.start()], _FLAGS
            ):
                continue  # "I'm hurt that you didn't ask": the act inside an I statement, not an accusation
            if re.search(
                r"\b(did|do|does|have|had|has|are|were|will|would|could)\s+$", sentence[: m.start()], _FLAGS
            ):
                continue  # "Did you forget your keys?": a question, not an accusation
            if _KIND_TRAIT.match(sentence, m.start()):
                continue  # "you're always so reasonable": praise (sincere or sarcastic), not blame
            if (
                re.search(r"\b(not|wasn't|isn't)\s+(all\s+)?your\s+fault", sentence[: m.end()], _FLAGS)
                and "fault" in group
            ):
                continue
            clause = m.group() + after
            if re.match(r"you('re|\s+are)\s+the\s+one", group) and re.match(
                r"(\s+(who|that))?\s+should\b", after, _FLAGS
            ):
                continue  # "you're the one who should understand": an expectation, not blame
            if re.match(r"you('re|\s+are)\s+the\s+(reason|one)", group) and _GOOD_OUTCOME.search(clause):
                continue  # "you're the one who kept me going"
            if (
                group.startswith("because of you")
                and _GOOD_OUTCOME.search(sentence)
                and not _BAD_OUTCOME.search(sentence)
            ):
                continue  # "because of you I got through the worst year"
            if group.startswith("without") and re.search(r"\bplease\b", sentence, _FLAGS):
                continue  # "please don't post photos without asking me first": a request
            if (
                _POSITIVE.search(clause)
                and not re.search(r"\b(never|don't|didn't|can't)\b", clause, _FLAGS)
                and not _FAVOURED.search(clause)
            ):
                continue  # "you always make me laugh", "you make me happy"
            if group.startswith(("if you", "i ", "we ")) and _GOOD_OUTCOME.search(sentence):
                continue  # "if you hadn't helped me I'd never have made it"
            present_make = re.match(r"you\s+make\s+me\b", group)
            if present_make and not _MAKE_ME_BAD.match(sentence[m.end() :]):
                continue  # "you make me feel safe" is warm; "you make me feel stupid" is blame
            spans.append((start + m.start(), start + m.end()))
    return spans


_INDEFINITE = r"(someone|somebody|anyone|anybody|people|some\s+people|there\s+(was|were)|the\s+\w+|we|i)"
_HINT = _c(
    # wistful "it would be nice if someone…" (but "…if you could…" is a polite request)
    r"(\b(it\s+would|it'd|wouldn't\s+it|would\s+it\s+not)\s+|^\s*(would\s+)?)(be\s+(so\s+|really\s+|quite\s+)?"
    r"(nice|lovely|great|good|helpful|handy|wonderful|a\s+nice\s+change|a\s+change)|help|mean\s+(a\s+lot|so\s+much|the\s+world)|"
    r"make\s+a\s+(nice\s+|big\s+)?change)"
    r"\s+(if\s+" + _INDEFINITE + r"|to)\b|"
    r"\bif\s+only\b|\bi\s+wish\s+(someone|somebody|people|you\s+would|you'd|i\s+had\s+(someone|some\s+help))\b|"
    # resigned guesses: "I guess nobody…", "I suppose you're busy", "I suppose I'll just…"
    r"^\s*(i\s+)?(guess|suppose)\b(?!\s+(you're\s+right|you\s+are\s+right|so|not|(we|you)\s+(could|can|should|might)|that's)\b)|"
    r"\b(but|then|so)\s+i\s+(guess|suppose)\b(?!\s+(you're\s+right|you\s+are\s+right|so|not|(we|you)\s+(could|can|should|might))\b)|"
    r"\bi\s+(guess|suppose)\s+(nobody|no\s+one|not\s+everyone|you're\s+(too\s+)?busy|you\s+were\s+(too\s+)?busy)\b|"
    r"\bi'll\s+just\s+[^.!?,]*\bthen\s*[.!]*$|"
    # things that "won't do themselves", chores left standing
    r"\b(won't|isn't|aren't|is\s+not|are\s+not)\s+(going\s+to\s+)?\w+\s+(themselves|itself)\b|"
    r"\b(bins?|recycling|washing(-up)?|laundry|ironing|dishes|sink|grass|lawn|garden|hedge|kitchen|bathroom|"
    r"house|place|fridge|cupboards?|post|paperwork|bills)('s|\s+is|\s+are|'re|\s+has\s+been|\s+have\s+been)?\s+"
    r"(still\s+|really\s+|getting\s+(pretty\s+|really\s+|a\s+bit\s+)?)?(overflowing|piling\s+up|stacking\s+up|full|empty|"
    r"a\s+(mess|tip|state)|filthy|disgusting|long|overgrown|not\s+going\s+to)\b|"
    r"\b(it's\s+a\s+|what\s+a\s+)?shame\s+(nobody|no\s+one|i've\s+got|i\s+have|that\s+nobody)\b|"
    r"\bif\s+(anyone|anybody|someone)\s+ever\b|\bnow\s+and\s+then\b|\bonce\s+in\s+a\s+while\b|"
    # needs said without asking: "I could do with…", "I wouldn't say no…", "I'd love some…"
    r"\bi\s+wouldn't\s+say\s+no\b|\bi\s+wouldn't\s+mind\s+(a|some|an)\b|"
    r"\bi\s+could\s+(really\s+|honestly\s+)?(do|use)\s+with\b|\bwouldn't\s+hurt\s+(to|if)\b|"
    r"\bi('d|\s+would)\s+(really\s+|so\s+)?(love|kill\s+for|give\s+anything\s+for)\s+(a|an|some)\b|"
    # a problem left standing, said to be noticed: "the smoke alarm's been beeping for three days now"
    r"\b(?!(i|you|we|they|he|she)\b)\w+('s|\s+has|\s+have)\s+been\s+\w+(ing)?\s+(\w+\s+){0,4}for\s+(a\s+|\w+\s+)?(days?|weeks?|fortnight|months?|ages|years?)\b|"
    r"\b(just\s+saying|just\s+putting\s+(that|it)\s+out\s+there|not\s+that\s+i'm\s+counting|just\s+so\s+you\s+know|"
    r"if\s+any(one|body)\s+cares|not\s+that\s+it\s+matters(\s+to\s+any(one|body))?|not\s+being\s+funny\s+but|"
    r"not\s+sure\s+if\s+any(one|body)('s|\s+has)\s+noticed|i\s+don't\s+suppose\s+any(one|body)|in\s+case\s+you\s+hadn't\s+noticed)\b|"
    r"^\s*(it'd\s+|it\s+would\s+|would\s+)?be\s+a\s+(shame|pity)\s+if\b|"
    r"\bwhoever\s+(keeps|kept|has\s+been|is|took|ate|used|left)\b|"
    r"\b(nobody|no\s+one)\s+(ever\s+)?(refills|empties|replaces|cleans|washes|takes|puts|changes|tidies|offers)\b|"
    r"\b(someone|somebody)\s+(with\s+(a\s+|an\s+)?\w+\s+)?(might|could)\s+(think\s+about|consider|offer)\b|"
    r"\bneeds\s+(new|a\s+new|fixing|doing|sorting|mowing|cleaning|emptying|walking|changing)\b|"
    r"\bme\s+and\s+the\s+(cat|dog|telly|tv)\s+(will|'ll)\b|"
    r"\b\w+('s|\s+is|\s+are)\s+(still\s+)?(hanging\s+off|leaking|dripping|blocked|beeping|flickering|squeaking|"
    r"falling\s+apart)\s+(again|still)\b|"
    r"\bgetting\s+(a\s+bit\s+|rather\s+|far\s+|way\s+)?(much|too\s+much|heavy|hard)\s+for\s+me\b|"
    r",\s*i\s+(suppose|guess)\s*[.!?]*$|\b(alright|all\s+right)\s+for\s+some\b|"
    r"\bif\s+(anyone|anybody|someone)('s|\s+is|\s+was|\s+were|\s+happens\s+to\s+be)\s+(about|around|free)\b|"
    r"\bin\s+case\s+(anyone|anybody)('s|\s+is|\s+was)\s+wondering\b|"
    r"\b(nobody|no\s+one)('s|\s+has)\s+(offered|bothered|asked|thought|volunteered)\b|"
    r"\b(someone|somebody)('s|\s+has)\s+(left|eaten|used|taken|finished|moved|broken)\b|"
    r"\bi('d|\s+would)\s+have\s+(loved|liked|appreciated)\s+(a|an|some|it\s+if|to|the)\b|"
    r"\b(haven't|hasn't|didn't)\s+(even\s+)?(sat\s+down|stopped|had\s+a\s+(minute|second|break|moment))\b|"
    r"\b(had\s+to|have\s+to|doing|did|carrying|carried|cleaning|cleaned|cooking|cooked|sorting|sorted|tidying|"
    r"tidied|clearing|cleared|lugging|dragging|looking\s+after|put|putting)\b[^.!?]{0,40}\b(by\s+myself|on\s+my\s+own|"
    r"single-handedly)\b|"
    # someone / nobody as an unnamed culprit or absent helper
    r"\bsomeone's\s+been\b|\bsomebody's\s+been\b|\b(someone|somebody)\s+(keeps|kept|always|never|forgot|must\s+have|"
    r"has\s+(eaten|used|taken|left|finished)|ate|used|took|left|finished)\b|"
    r"\bnot\s+that\s+(i|anyone|anybody|you|he|she|they)('s|'d|\s+has|\s+have|\s+would|\s+ever)?\s+"
    r"(mind|minds|cares|care|noticed|notice|asked|listens|bothered|remembers?)\b|\bdrop\s+a\s+hint\b|"
    r"\b(been\s+)?(ages|forever|months|years|weeks)\s+since\s+(anyone|anybody|someone|you|we)\b|"
    r"\bhaven't\s+heard\s+(from\s+)?(you|anyone|anybody)\b|\b(i|we)\s+never\s+(see|hear\s+from)\s+you\b|"
    # comparisons: "some people manage…", "other couples…", "must be nice…"
    r"\bsome\s+(people|of\s+us|\w+s)\s+(actually|would|manage|bother|remember|at\s+least|do|don't|can|can't|seem|get|"
    r"have\s+the|never\s+get)\b|"
    r"\b(i've\s+got|i\s+have|i\s+had|there's|there\s+is)\s+(nobody|no\s+one|no-one)\s+to\s+(help|give|take|drive|look|"
    r"watch|mind|go|come|talk)\b|"
    r"\b(years?|months?|weeks?|ages)\s+(now\s+)?without\s+(a|an|any|one)\b|"
    r"\b(it's|it\s+is|it'll\s+be|it\s+will\s+be)\s+just\s+me\s+(and|on\s+my\s+own|again|this|then)\b|"
    r"\bsome\s+of\s+us\b|\bfunny\s+how\b|^\s*funny,|\bmust\s+be\s+(nice|lovely|great)\b|"
    r"\bnot\s+that\s+anyone\s+(asked|cares)\b|\bi've\s+been\s+waiting\s+(for|ages|weeks|months)\b|"
    r"\b(other\s+(people|teams|couples|families|mums|dads|husbands|wives|partners|parents|kids|sons|daughters|"
    r"friends|managers|departments|staff|colleagues|flatmates)|my\s+friends'?\s+(husbands|wives|partners))\s+"
    r"(seem|get|manage|have|actually|do|would|at\s+least|always|take|go|can|are\s+allowed)\b|"
    r"\bmy\s+friends'?\s+(husbands|wives|partners)\b"
)
# A chore stated and then handled ("The fridge is empty, I'll go to the shop") is news, not a hint;
# a burden named with the feeling ("I feel overwhelmed looking after Dad on my own") is an I statement.
_SELF_HANDLED = _c(
    r"\b(i'll|i\s+will|i've|i\s+have|i'm\s+going\s+to|i\s+am\s+going\s+to)\s+(\w+\s+)?(rung|called|phoned|go|get|sort|"
    r"do|done|book|booked|fix|fixed|order|ordered|pop|handle|deal|clean|tidy|wash|take|empty|mow|cut)\b"
)
_CHORE_OR_BURDEN = _c(
    r"(overflowing|piling\s+up|stacking\s+up|full|empty|mess|tip|state|filthy|disgusting|long|overgrown|"
    r"not\s+going\s+to|myself|my\s+own|single-handedly|sat\s+down|stopped|minute|second|break|moment)$"
)


# A sigh: a need ("I'm starving", "I'm shattered") next to what is still undone, with no request.
_NEED = _c(
    r"\bi('m|\s+am)\s+((so|absolutely|completely|totally|utterly|just|really)\s+)?(starving|famished|parched|freezing|"
    r"shattered|knackered|exhausted|tired|worn\s+out|dead\s+on\s+my\s+feet|run\s+off\s+my\s+feet)\b"
)
_UNDONE = _c(
    r"\b(there's\s+nothing|there\s+is\s+nothing|nobody|no\s+one|still|haven't|hasn't|i've\s+(still\s+)?got\s+to|"
    r"i\s+(still\s+)?have\s+to|(the\s+)?\w+('s|\s+is|\s+are)\s+(still\s+)?(a\s+mess|empty|full|not\s+done|waiting))\b"
)


def _hint(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        need = _NEED.search(sentence)
        if need and _UNDONE.search(sentence, need.end()) and not _request(text):
            spans.append((start + need.start(), start + need.end()))
        for m in _HINT.finditer(sentence):
            if m.group().lower().startswith("i'll") and _WITHDRAWAL.search(sentence):
                continue  # "Whatever, I'll just eat in my room then": withdrawing, not hinting
            if _CHORE_OR_BURDEN.search(m.group()) and (
                _SELF_HANDLED.search(sentence) or _POSITIVE.search(sentence) or _I_FEEL.search(sentence)
            ):
                continue  # "I did it all by myself and I'm proud of it"
            spans.append((start + m.start(), start + m.end()))
    return spans


_UNSTATED = _c(
    r"\byou\s+(should|ought\s+to|must)\s+(just\s+|already\s+|really\s+)?"
    r"(know|have\s+known|realise|realize|have\s+realised|have\s+realized|understand|see)\b|"
    r"\byou\s+(should've|ought\s+to\s+have|should\s+have|must\s+have)\s+(known|realised|realized|seen|guessed|"
    r"noticed|understood|thought)\b|"
    r"\byou\s+(should|ought\s+to)\s+(be\s+able\s+to\s+)?(tell|see|notice|guess|work\s+(it|that)\s+out)\b|"
    r"\b(any|a)\s+(decent|normal|real|good|proper|caring|loving)\s+\w+\s+would(\s+have)?\b|"
    r"\b(of\s+all\s+people)\b|\bi('d|\s+would)\s+have\s+thought\b|"
    r"\b(it\s+should\s+be|isn't\s+it|it's)\s+(obvious|clear)\b|\bwithout\s+(me\s+)?(being\s+told|having\s+to\s+ask|"
    r"being\s+asked|me\s+asking|me\s+saying)\b|\bdo\s+i\s+(really\s+)?have\s+to\s+(spell|tell|ask)\b|"
    r"\bsurely\s+you('d|\s+would)?\b|"
    r"\bi\s+(shouldn't|should\s+not)\s+(have|need)\s+to\b|\bspell\s+it\s+out\b|"
    r"\bi\s+(expect|expected)\s+you\s+to\s+(just\s+)?(know|realise|realize|see|understand)\b|"
    r"\bif\s+you\s+(really\s+|actually\s+|truly\s+)?(cared|loved\s+(me|us)|respected\s+(me|us))\b|"
    r"\bif\s+you\s+were\s+a\s+(real|good|proper)\s+\w+\b|"
    r"\ba\s+(real|good|proper|true|decent)\s+(friend|partner|husband|wife|sister|brother|son|daughter|mother|father|mate)"
    r"\s+would\b|"
    r"\bwould\s+(just\s+)?know\b|\bshould\s+know\s+by\s+now\b|"
    r"\byou'd\s+think\s+(you'd|you\s+would|after|that\s+you|by\s+now)\b|"
    r"\b(can't|couldn't|don't)\s+you\s+see\s+(how|that|what|i'm|i\s+am|i\s+need)\b|"
    r"\b(isn't|wasn't)\s+it\s+(obvious|clear)\b|\bi\s+thought\s+it\s+was\s+(obvious|clear)\b|"
    r"\bit\s+goes\s+without\s+saying\b|"
    r"\banyone\s+(who|with)\b[^.!?]{0,30}\bwould(\s+have)?\b|"
    r"\ba\s+(real|good|proper|decent)\s+\w+\s+(wouldn't|would\s+not)\s+(need|have)\s+to\b|"
    r"\byou\s+must\s+(be\s+able\s+to\s+)?(see|know|realise|realize|tell|have\s+noticed|have\s+seen)\b|"
    r"\byou\s+(should|ought\s+to)\s+know\s+me\s+(better|by\s+now)\b|"
    r"\byou\s+were\s+(supposed|meant)\s+to\s+(know|realise|realize|remember|guess|notice)\b|"
    r"\bi\s+(thought|assumed)\s+you('d|\s+would)\s+(just\s+)?(know|realise|realize|remember|notice|guess)\b|"
    r"\bi\s+(shouldn't|should\s+not)\s+(need|have)\s+to\s+(remind|tell|ask|say|explain)\b|"
    r"\bif\s+you\b[^.!?]*\byou('d|\s+would)\s+(already\s+|just\s+)?(know|have\s+known|realise|realize|notice|"
    r"have\s+noticed|see|have\s+seen|understand|remember)\b|"
    r"\bshould('ve|\s+have)\s+been\s+(so\s+|pretty\s+|completely\s+)?(obvious|clear)\b|"
    r"\bdropped\s+(enough|so\s+many|plenty\s+of|loads\s+of)\s+hints\b|"
    r"\byou\s+(should|ought\s+to)('ve|\s+have)\s+(worked|figured)\s+(it|that|this)\s+out\b|"
    r"\byou'd\s+think\s+(a|an|any|your|my|the)\s+\w+\s+would\b|"
    r"\byou('re|\s+are)\s+the\s+one\s+(who|that)\s+should\s+(understand|know|get|see|realise|realize)\b|"
    r"\b(shouldn't|should\s+not)\s+take\s+[^.!?]*\bfor\s+you\s+to\s+(realise|realize|notice|see|know|understand|work)\b|"
    r"\byou'd\s+have\s+to\s+be\s+blind\b|\bany(one|body)\s+with\s+(eyes|half\s+a\s+brain)\s+(could|would|can)\b|"
    r"\bhow\s+(have|has|did|could)\s+you\s+not\s+(noticed|notice|seen|see|realised|realized|known)\b|"
    r"\bi'm\s+not\s+(going\s+to\s+)?tell(ing)?\s+you\s+what\s+i\s+want\b|\byou\s+should\s+just\s+(get\s+it|know|guess)\b|"
    r"\b(somebody|someone|anyone)\s+would\s+(think|have\s+thought)\s+to\b|\bgo(es)?\s+without\s+saying\b|"
    r"\bany\s+(other\s+)?(decent\s+|normal\s+|real\s+|good\s+)?(friend|partner|husband|wife|sister|brother|son|daughter|"
    r"mother|father|mate|manager|person|parent)\s+would\b|"
    r"\byou'd\s+think\s+(a|an|any|your|my|the)\s+(\w+\s+)?\w+\s+(would|wouldn't)\b|"
    r"\b(have\s+to\s+)?spell\s+(it\s+|this\s+|that\s+)?out\b|\bif\s+i\s+have\s+to\s+(ask|tell|remind)\b|"
    r"\byou\s+(might|could)\s+have\s+(guessed|known|realised|realized|noticed|thought)\b|"
    r"\bi\s+(shouldn't|should\s+not)\s+need\s+(a|an)\b|\bi('d|\s+would)\s+have\s+(hoped|expected)\s+you('d|\s+would)\b|"
    r"\bwouldn't\s+(have\s+)?kill(ed)?\s+you\b|\bshouldn't\s+(still\s+)?be\s+a\s+surprise\b"
)


def _unstated(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _UNSTATED.finditer(text)]


_WITHDRAWAL = _c(
    # dismissal: "whatever", "fine.", "never mind", "forget it", "doesn't matter"
    r"^\s*(ok(ay)?[,.]?\s+|oh\s+)?whatever\s*([.,!;]|$|\s+then\b|\s+i\s+don't\s+care\b)|"
    r"\bwhatever\s*[.!]|"
    r"\bwhatever\s+(you\s+say|makes\s+you\s+happy|you\s+think|you\s+want|you\s+like)\s*([.,!;]|$)|"
    r"^\s*(ok(ay)?[,.]?\s+)?fine\s*[,.!](?!\s*(thanks|thank\s+you|and\s+you|how\s+are))|^\s*fine\s+then\b|"
    r"\bnever\s*mind\b(?!\s+(the|your|my|his|her|their|that|this|those|these|a|an|about\s+(the|your|my))\b)|"
    r"\bforget\s+(it|about\s+it|i\s+(said|mentioned|asked|brought)\b|(that\s+)?i\s+said\s+anything)|"
    r"^\s*(it\s+)?(doesn't|does\s+not)\s+matter\s*[.!,]|\b(it\s+)?(doesn't|does\s+not)\s+matter\s*[.!]?\s*$|"
    r"\bit\s+is\s+what\s+it\s+is\b|"
    # handing the decision over in resignation: "do what you want", "suit yourself", "have it your way"
    r"\bdo\s+(what|whatever)\s+you\s+(want|like|think\s+is\s+best|need\s+to)\b|"
    r"\b(suit|please)\s+yourself\b|\bhave\s+it\s+your\s+(own\s+)?way\b|\bsee\s+if\s+i\s+care\b|"
    r"\b(it's|it\s+is)\s+your\s+(life|call|funeral|problem)\s*[.!]?\s*$|"
    # giving up: "I give up", "I'm done", "I don't care any more", "there's no point"
    r"\bi\s+give\s+up\b|\bi'm\s+out\s*([.!]|$)|\bcan't\s+be\s+bothered\b|\bi\s+couldn't\s+care\s+less\b|"
    r"\b(i'm|i\s+am)\s+past\s+caring\b|\bcan't\s+be\s+arsed\b|\bnoted\s*[.!,]?\s*bye\b|"
    r"^\s*(nope[.,!]?\s+)?not\s+(getting\s+into|doing|having|discussing)\s+(this|it|that)\b|"
    r"\b(we'll|i'll)\s+(just\s+)?leave\s+it(\s+there)?\s*[.!]|\bnothing\s+left\s+for\s+this\b|"
    r"\bi('d|\s+would)\s+rather\s+not\s+(get\s+into|talk\s+about|discuss|go\s+into|go\s+over)\b|"
    r"\bend\s+of\s*[.!]*\s*$|\b(we're|we\s+are)\s+not\s+(discussing|talking\s+about|doing)\s+(this|it|that|my|your)\b|"
    r"\bi\s+can't\s+keep\s+(having|doing)\s+this\b|\bdon't\s+bother\s+(replying|answering|calling|texting|explaining)\b|"
    r"\b(there's|there\s+is)\s+no\s+point\s*[,.!]|\bi'll\s+just\s+put\s+up\s+with\s+it\b|^\s*let's\s+not\s*[.!]|"
    r"\b(i'm|i\s+am)\s+not\s+(even\s+)?going\s+to\s+(reply|respond|answer|dignify)\b|"
    r"^\s*((honestly|seriously|just|no),?\s+)?leave\s+it\s*,|\byou('ve|\s+have)\s+won\s+(the\s+argument|again)\b|"
    r"^\s*do\s+whatever\s*[,.!]|\b(i'm|i\s+am)\s+not\s+bothered\s*[.!]?\s*$|"
    r"\b(i'm|i\s+am)\s+done(\s+(talking|arguing|trying|explaining|with\s+(this|you|it|us|trying|arguing|talking)))?\s*([.!,]|$)|"
    r"\b(i'm|i\s+am)\s+done\s+(talking|arguing|trying|explaining)\b|"
    r"\bi\s+(don't|do\s+not)\s+(even\s+)?care\s+(any\s*more|now)\b|^\s*(i\s+)?(don't|do\s+not)\s+care\s*[.!]|"
    r"\b(there's|there\s+is|what's)\s+(no|the)\s+point\s+(in\s+)?(talking|discussing|raising|arguing|saying|trying|asking|"
    r"going\s+over|going\s+into|going\s+through|"
    r"bringing|explaining|telling)\b|\bwe're\s+(not\s+getting\s+anywhere|getting\s+nowhere|going\s+round\s+in\s+circles)\b|"
    # refusing to talk: "I don't want to talk about it", "I'm not discussing this", "leave me alone", "drop it"
    r"\bi\s+(don't|do\s+not)\s+want\s+to\s+(talk|discuss|hear|go\s+over|get\s+into|argue)\s+(about\s+)?(it|this|that|any\s*more)\b|"
    r"\b(i'm|i\s+am)\s+not\s+(going\s+to\s+)?(talking|talk|discussing|discuss|having|have|doing|do|getting\s+into|get\s+into|"
    r"going\s+(over|into|through)|go\s+(over|into|through))\s+(about\s+)?(this|it|that)"
    r"(\s+(again|any\s*more|now|conversation|with\s+you|right\s+now))?\s*([.!,]|$)|"
    r"\b(i'm|i\s+am)\s+not\s+(going\s+to\s+)?(have|having)\s+this\s+(conversation|discussion|argument)\b|"
    r"\b(i'm|i\s+am)\s+not\s+going\s+to\s+argue\b|\bi\s+(won't|will\s+not|refuse\s+to)\s+(discuss|talk\s+about)\b|"
    r"\bi've\s+said\s+(all\s+i'm\s+going\s+to\s+say|my\s+piece|all\s+i\s+have\s+to\s+say)\b|"
    r"\b(i've\s+got|i\s+have)\s+nothing\s+(more|else)\s+to\s+say\b|"
    r"\bleave\s+me\s+alone\b|^\s*(just\s+)?(drop|leave)\s+it\s*([.!,]|$)|\b(let's|let\s+us)\s+(just\s+)?(drop|leave|forget)\s+it\b|"
    # going it alone: "I'll manage", "I'll sort it myself"
    r"\bi'll\s+(just\s+)?(cope|manage|sort\s+it(\s+out)?|deal\s+with\s+it|figure\s+it\s+out|do\s+it)"
    r"(\s+(myself|on\s+my\s+own|by\s+myself|alone))?\s*[.!]?\s*$"
)
# "Do what makes you happy, I'll back you either way" hands over the choice warmly.
_SUPPORTIVE = _c(
    r"\b(i'll|i\s+will)\s+(support|back|be\s+there\s+for|stand\s+by)\b|\bi'm\s+(here|behind\s+you)\b"
)


# "I don't want to talk about it now, but can we talk tomorrow?" is a pause, which the primer encourages.
_COME_BACK = _c(
    r"\b(can|could|shall)\s+we\s+(talk|pick|come\s+back|discuss|try)\b|\b(later|tomorrow|another\s+time|"
    r"in\s+the\s+morning|when\s+(i've|i\s+have|we've|we\s+have)\s+(calmed|cooled|slept)|once\s+i've)\b"
)
_REFUSAL = _c(
    r"^\s*(i\s+don't\s+want|i'm\s+not|i\s+am\s+not|i\s+won't|i'm\s+done|i\s+am\s+done|leave|drop|let's|we're|"
    r"i'd\s+rather\s+not|not\s+getting\s+into)"
)


_SORTED = _c(
    r"[,.!\s-]*(i('ve)?\s+(just\s+)?(found|got|remembered|sorted|fixed)|it's\s+(fine|sorted|here)|found\s+it)\b"
)


def _withdrawal(text: str) -> list[tuple[int, int]]:
    spans = []
    sentences = _sentences(text)
    coming_back = bool(_COME_BACK.search(text))
    for start, end in sentences:
        sentence = text[start:end]
        if _SUPPORTIVE.search(sentence):
            continue
        for m in _WITHDRAWAL.finditer(sentence):
            if re.match(r"\s*forget\s+it", m.group(), _FLAGS) and _SORTED.match(sentence, m.end()):
                continue  # "Forget it, I found my keys": the problem solved itself
            if coming_back and _REFUSAL.match(m.group()):
                continue
            if m.group().lower().startswith("i'll") and not (
                re.search(r"\b(myself|my\s+own|alone)\b", m.group(), _FLAGS) or len(sentences) > 1 or start
            ):
                continue  # "I'll manage." alone after a question is an answer; "…, I'll manage" closes a talk
            spans.append((start + m.start(), start + m.end()))
    return spans


_INSULT = _c(
    r"\b(idiot|idiotic|stupid|moron|pathetic|useless|loser|selfish|lazy|drama\s+queen|genius|"
    r"real\s+mature|grow\s+up|spoilt|spoiled|a\s+joke|a\s+baby|a\s+child|clown|joke|ridiculous|hopeless|"
    r"pathetic|useless|dumb|thick|a\s+mess|a\s+nightmare|a\s+disgrace|disgusting|ray\s+of\s+sunshine|"
    r"you\s+remembered\s+i\s+exist|shut\s+up)\b|"
    r"\bthanks\s+(a\s+lot|for\s+nothing|a\s+bunch)\b|\breally\s+appreciate\s+it\b|"
    r"\bshould\s+i\s+throw\s+a\s+party\b|\bwhat\s+a\s+(great|good|wonderful|fantastic)\s+\w+\s+you\s+are\b|"
    r"\bbecause\s+you('re|\s+are)\s+(always\s+so|so|the\s+perfect|perfect)\b|"
    r"\bmust\s+be\s+nice\b|\bwell\s+done\b(?=[^?]*$)|\byou\s+actually\s+\w+|"
    r"\banother\s+(excuse|lecture|brilliant|great|wonderful)\b|"
    r"\byeah\s+right\b|\bas\s+if\s+(you|he|she|they|i|that)('d|'ll|\s+would|\s+will|\s+ever|\s+care)?\b|"
    r"\b(nice|good|kind|sweet|big)\s+of\s+you\s+to\s+(finally|actually|bother|grace|show|turn\s+up|join|remember)\b|"
    r"\bglad\s+you\s+could\s+(finally\s+)?(join|make\s+it)\b|\bthanks\s+for\s+the\s+vote\s+of\s+confidence\b|"
    r"\bdon't\s+(strain|hurt|trouble|exert|overdo)\s+yourself\b|\bdon't\s+mind\s+me\b|"
    r"\btake\s+your\s+time,?\s+(it's|it\s+has|it's\s+not\s+like|i've|we've)\s+(only|just|not\s+like)\b|"
    r"\b(miracles|wonders)\s+((do|will)\s+)?(happen|never\s+cease)\b|\bwho\s+knew\b(?=[^?]*[.!]?$)|"
    r"\btell\s+me\s+something\s+i\s+don't\s+know\b|\blike\s+that's\s+(ever\s+)?going\s+to\s+happen\b|"
    r"\bin\s+your\s+dreams\b|\bwhat\s+are\s+you,\s+(five|six|ten|twelve|a\s+child|\d+)\b|"
    r"\bwaste\s+of\s+(space|oxygen)\b|\b(incompetent|clueless|spineless|useless\s+lump|a\s+liability|an\s+embarrassment)\b|"
    r"\bare\s+you\s+(incapable|too\s+(stupid|lazy|thick|dim))\b|\byou're\s+(always\s+)?the\s+victim\b|"
    r"\b(disappears?|disappeared|vanish(es|ed)?|tidies|tidied|washes|washed|empties|emptied)\s+(all\s+)?by\s+(itself|themselves)\b|"
    r"\byou('re|\s+are)\s+(always\s+)?right,?\s+(as\s+usual|as\s+always|of\s+course)\b|"
    r"\b(you('re|\s+are)|what)\s+(such\s+)?an?\s+(\w+\s+)?" + _INSULT_NOUN + r"\b|"
    r"\blike\s+talking\s+to\s+a\s+(brick\s+)?wall\b|\b(alert|stop|call)\s+the\s+(press|presses|papers|media)\b|"
    r"\bcan\s+do\s+no\s+wrong\b|\bgrac(e|es|ed|ing)\s+us\s+with\b|\b(alright|all\s+right)\s+for\s+some\b|"
    r"\bi'm\s+sure\s+[^.!?]*\bmore\s+important\s+than\b|\b(nice|good|great)\s+to\s+know\s+where\s+i\s+stand\b|"
    r"\b(are\s+you\s+)?happy\s+now\s*\?|,\s*(really|very|so|how)\s+(thoughtful|considerate|helpful|mature|kind|nice)\s*[.!]*$|"
    r"\byou('re|\s+are)\s+(so\s+|such\s+an?\s+)?(embarrassing|disgusting|gross|vile)\b|\brolling\s+out\s+the\s+red\s+carpet\b|\bpushed\s+the\s+boat\s+out\b|\bso\s+much\s+more\s+important\s+than\b|"
    r"\band\s+there\s+it\s+is\b|\bthe\s+famous\s+(sulk|silent\s+treatment|temper|excuse|lecture|last\s+word)\b|\b(shocker|shock\s+horror|colou?r\s+me\s+surprised|quelle\s+surprise)\b|"
    r"\bgolden\s+(child|boy|girl)\b|\btalk\s+to\s+the\s+hand\b|\b(ok|okay|k)\s+boomer\b|\bclass\s+act\b|"
    r"\bi'll\s+take\s+that\s+as\s+a\s+no\b|^\s*(he|she|it)\s+lives\s*!|\bto\s+what\s+do\s+i\s+owe\s+the\s+(honour|pleasure)\b|"
    r"\blove\s+that\s+for\s+me\b|\bvery\s+(eco|mature|grown-up|adult|helpful|considerate)\s*[.!]*$|"
    r"\b(careful|mind),?\s+you\s+(might|don't)\s+(sprain|strain|hurt|pull|break)\b|\bcouldn't\s+organi[sz]e\s+a\b|"
    r"\byou\s+(\w+[\s-]+){0,2}" + _INSULT_NOUN + r"\s*[.!]|\byou('re|\s+are)\s+(so\s+)?fake\b|\btwo-faced\b|"
    r"\byou('ve|\s+have)\s+won\s+(the\s+argument|again)\b|^\s*(sure|yeah|right|oh),?\s+because\b|"
    r"^\s*(really\s+)?(clever|smart|charming|classic|embarrassing|legend|shocker)\s*[.!]+\s*$|"
    r"\bi'm\s+(so|truly|really)\s+(impressed|honoured|flattered)\b(?=[^.!?]*(not|finally|actually|only|bother|"
    r"remembered|managed))"
)
_GENUINE_PRAISE = _c(r"\bwell\s+done\s+(on|for|with)\b")
# Thanks or delight that the rest of the message shows to be meant ("Thanks a lot, you're a star").
_SINCERE = _c(
    r"\byou('re|\s+are)\s+(a|an|the)\s+(star|gem|lifesaver|life-saver|legend|hero|angel|diamond|treasure|godsend|best)\b|"
    r"\b(so|really)\s+(kind|helpful|thoughtful|generous)\s+of\s+you\b|\bmeant\s+(so\s+much|a\s+lot)\b|"
    r"\b(happy|pleased|proud|glad|thrilled|delighted)\s+for\s+you\b|\bmade\s+(me\s+smile|my\s+day|me\s+laugh)\b|\byou\s+(so\s+|really\s+)?deserve(d)?\s+(it|this)\b"
)


# Praise that opens a sentence about something happening again: "Brilliant, another anniversary at your sister's."
_PRAISE_OPENER = _c(
    r"^\s*((oh|yeah|yes|well),?\s+)?(great|brilliant|lovely|perfect|fab|fabulous|fantastic|wonderful|marvellous|superb|"
    r"super|excellent|terrific|charming|top\s+work|nice\s+work|great\s+work|good\s+job|nice\s+one)\b"
)
_AGAIN = _c(r"\b(another|again|as\s+(ever|usual|always)|yet\s+again)\b")


def _insult(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        praise = _PRAISE_OPENER.match(sentence)
        if praise and _AGAIN.search(sentence, praise.end()) and not _SINCERE.search(text):
            spans.append((start + praise.start(3), start + praise.end(3)))
        opener = _SARCASTIC_OPENER.match(sentence)
        if opener and _SINCERE.search(text):
            opener = None
        if opener:
            spans.append((start + opener.start(1), start + opener.end(1)))
        for m in _INSULT.finditer(sentence):
            word = m.group().lower()
            if word.startswith("well") and (_GENUINE_PRAISE.search(sentence) or not (opener or spans)):
                continue
            if word.startswith("you actually") and not (opener or re.match(r"\s*wow\b", sentence, _FLAGS)):
                continue
            if word.startswith("another") and not opener:
                continue
            if word == "genius" and not re.search(
                r"[,]\s*genius\b|\bgenius\s*[.!]?$|\bgenius\s+(idea|plan|move)", sentence, _FLAGS
            ):
                continue
            if re.match(r"thanks\s+a\s+(lot|bunch)", word) and _SINCERE.search(text):
                continue
            if word in {
                "a child",
                "a baby",
                "joke",
                "a joke",
                "a mess",
                "a nightmare",
                "a disgrace",
            } and not re.search(
                r"\b(you're|you\s+are|acting\s+like|behaving\s+like)\s+(a\s+)?(spoilt\s+|spoiled\s+)?"
                + re.escape(word.split()[-1]),
                sentence,
                _FLAGS,
            ):
                continue
            spans.append((start + m.start(), start + m.end()))
    return sorted(set(spans))


# --- good moves -------------------------------------------------------------------------------

_FEELING_WORDS = (
    r"(hurt|sad|lonely|alone|angry|upset|anxious|worried|scared|afraid|frightened|terrified|nervous|"
    r"disappointed|embarrassed|ashamed|guilty|frustrated|overwhelmed|exhausted|tired|drained|stressed|"
    r"stretched|low|down|happy|glad|grateful|thankful|relieved|proud|hopeful|excited|confused|jealous|"
    r"left\s+out|shut\s+out|ignored|critici[sz]ed|undermined|exposed|awkward|unappreciated|invisible|"
    r"unheard|out\s+of\s+my\s+depth|helpless|hopeless|lost|neglected|rejected|annoyed|irritated|furious|"
    r"resentful|uncomfortable|uneasy|insecure|torn|heartbroken|devastated|concerned|miserable|fed\s+up|"
    r"unsupported|unloved|loved|cared\s+for|listened\s+to|let\s+down|pressured|trapped|panicky|"
    r"on\s+edge|so\s+alone|useless|worthless|isolated|jealous|betrayed|humiliated|small|bad|terrible|awful|"
    r"gutted|bummed|stung|smothered|safe|unsafe|hurting|heartsick|shaken|shocked|numb|empty|"
    r"hurt\s+and\s+\w+|ignored|devastated|crushed|gutted|scared|unhappy|miserable|desperate|broken|disheartened|"
    r"demoralised|demoralized|fed\s+up|bored|restless|resentful|content|calm|peaceful|loved|valued|"
    r"cross|sore|touched|moved|thrilled|delighted|pleased|chuffed|livid|fuming|raging|shattered|knackered|"
    r"burnt\s+out|burned\s+out|at\s+the\s+end\s+of\s+my\s+tether|at\s+my\s+wits'?\s+end|struggling|"
    r"overlooked|dismissed|taken\s+for\s+granted|unimportant|unwanted|unseen|disrespected|belittled|"
    r"patroni[sz]ed|judged|abandoned|sidelined|excluded|pushed\s+away|second\s+best|heartbroken|"
    r"panicked|panicking|petrified|distraught|upset|grieving|homesick|wound\s+up|wrecked|rattled|freaked\s+out|flat(?!\s+(out|broke|pack))|"
    r"buzzing|narked|miffed|gutted|shaken\s+up|lost|lonely)"
)
_I_FEEL = _c(
    r"\bi(\s+|(?='))(feel|felt|am\s+feeling|'m\s+feeling|was\s+feeling|have\s+been\s+feeling|'ve\s+been\s+feeling|"
    r"get|got|'m|am|was|'ve\s+been|have\s+been)\s+"
    r"((so|really|very|a\s+bit|a\s+little|quite|pretty|rather|incredibly|deeply|truly|completely|totally|"
    r"absolutely|more\s+and\s+more|a\s+lot\s+more|kind\s+of|sort\s+of|super|lowkey|genuinely|honestly|properly|actually|"
    r"seriously|just)\s+)*" + _FEELING_WORDS + r"\b|"
    r"\bi('m|\s+am|\s+was)\s+not\s+(really\s+)?(comfortable|happy|okay|ok|coping)\b|"
    r"\bi('m|\s+am|'ve\s+been|\s+have\s+been)\s+(lying\s+awake|crying|not\s+sleeping)\b"
)
_I_FEEL_COMPACT = _c(
    r"\bi('m|'ve\s+been)\s+((so|really|very|a\s+bit|quite|actually|genuinely|honestly)\s+)*"
    + _FEELING_WORDS
    + r"\b"
)
_THOUGHT = (
    r"(like|that|as|if|you|he|she|it|they|we|this|these|those|my|your|his|her|their|our|the|a|an|"
    r"there|so|strongly|sure|certain|about|for|to|when|because|what|how|why|fine|ok|okay|good|well)"
)
_I_FEEL_ANY = _c(
    r"\bi\s+((always|often|sometimes|really|just|still|now|honestly|do)\s+)?(feel|felt)\s+"
    r"((so|really|very|a\s+bit|a\s+little|quite|pretty|rather|completely|totally|more)\s+)*"
    r"(?!" + _THOUGHT + r"\b)[a-z]+(ed|ful|ous|ive|less|ish|ious|ent|ant|ible|able|ry|ly|e|d|t|y|n|k)\b"
)
_I_FIND = _c(
    r"\bi('m|\s+am)\s+finding\s+[^.!?,;]{1,40}?\s+(really\s+|so\s+|very\s+|quite\s+)?(hard|difficult|stressful|"
    r"upsetting|overwhelming|painful|exhausting|frightening|scary|lonely|draining|tough)\b"
)
# "It hurt me when…", "I feel like a burden" (a feeling in a metaphor, not "I feel like you…", a thought).
_IT_HURT = _c(
    r"\b(it|that|this)\s+(really\s+)?(hurt|hurts|upset|upsets|scared|scares|worried|worries|saddens|saddened|"
    r"frightened|frightens|stung|stings)\s+me\b|\bi\s+(feel|felt)\s+like\s+(a|an)\s+"
    r"(burden|failure|outsider|spare\s+part|stranger|fool|idiot|child|servant|nobody|afterthought|third\s+wheel)\b"
)
_I_MISS = _c(
    r"\bi('ve)?\s+(really\s+|still\s+|so\s+)?(miss|missed)\s+(you|us|our|having)\b|"
    r"\bi\s+(really\s+|still\s+|so\s+)?miss\s+(?!(the|a|my|your)\s+(bus|train|tram|flight|deadline|point|call|turn)\b)\w+"
)
# The subject said once for two verbs: "I couldn't sleep and felt wrecked at work".
_AND_FELT = _c(
    r"\bi\s+[^.!?,;]{0,40}?\b(and|but)\s+(felt|feel|was|am)\s+((so|really|very|completely|totally|a\s+bit)\s+)*"
    + _FEELING_WORDS
    + r"\b"
)


def _i_statement(text: str) -> list[tuple[int, int]]:
    spans = []
    for pattern in (_I_FEEL, _I_FEEL_COMPACT, _I_FEEL_ANY, _I_FIND, _I_MISS, _IT_HURT, _AND_FELT):
        for m in pattern.finditer(text):
            if re.search(
                r"\b(why|how(\s+much|\s+hard)?|what|whether|if|noticed|known|realised|realized|seen|guessed|notice|see|know|knew)"
                r"\s+(that\s+|when\s+)?$",
                text[max(0, m.start() - 24) : m.start()],
                _FLAGS,
            ):
                continue  # "you'd know why I'm upset": a reported feeling inside another claim
            if re.match(
                r"\s+to\s+(go|help|do|take|wait|pay|drive|cover|come|go\s+along)\b", text[m.end() :], _FLAGS
            ) and re.search(r"\b(happy|glad|pleased)$", m.group(), _FLAGS):
                continue  # "I'm happy to go along with it": willing, not a feeling
            spans.append((m.start(), m.end()))
    return _merge(spans)


_DAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_EVENT = (
    r"(party|funeral|wedding|dinner|lunch|breakfast|meeting|concert|match|presentation|appointment|"
    r"one-to-one|interview|holiday|trip|flight|christening|barbecue|bbq|drinks|birthday\s+(drinks|party|dinner)|"
    r"review|session|school\s+run|break-up|breakup|game|gig|birthday|christmas|operation|anniversary|festival|"
    r"surgery|accident|exam|scan|results|leaving\s+do|hen\s+do|stag\s+do|reunion|graduation|recital|play|show|"
    r"parents'\s+evening|half-term|half\s+term|bank\s+holiday|vigil|memorial|wake|hen|stag|opening|exhibition|"
    r"training\s+day|open\s+day|sports\s+day|away\s+day|valentine's)"
    # "the wedding planning", "the meeting pods": about the event, or not an event at all
    r"(?!\s+(planning|plans|pods?|rooms?|notes|minutes|invites?|list|budget|stuff|space|area|card|present|gift|cake))"
)
_SPECIFIC = _c(
    r"\b(on\s+)?" + _DAY + r"('s)?(\s+(morning|afternoon|evening|night))?\b|"
    r"\b(yesterday|today|tonight|tomorrow|this\s+(morning|afternoon|evening|weekend))\b|"
    r"\b(last|next)\s+(night|week|weekend|month|time\s+we|" + _DAY + r"|one-to-one|meeting|session)\b|"
    r"\bon\s+the\s+(\d{1,2}(st|nd|rd|th)?|first|second|third|\w+teenth|\w+tieth|\w+th|twelfth|fifth)"
    r"(?=\s*(of\s+(january|february|march|april|may|june|july|august|september|october|november|december)|[.,!?]|$))|"
    r"\bat\s+the\s+weekend\b|\b(last|next|this)\s+" + _EVENT + r"\b|"
    r"\b(christmas|new\s+year's|easter|thanksgiving)(\s+(day|eve|dinner|lunch))?\b|"
    r"\b(at|after|before|during|in|on|to|than|from|with|until|till)\s+(the|your|my|our|his|her|their|\w+'s)"
    r"\s+([\w-]+('s)?\s+)?" + _EVENT + r"\b|"
    r"\b(the|your|my|our)\s+([\w-]+\s+)?" + _EVENT + r"\s+with\s+(your|my|our|his|her|the)\b|"
    r"\bhow\s+(the|your|my)\s+([\w-]+\s+)?" + _EVENT + r"\s+went\b|\bby\s+the\s+weekend\b|"
    r"\b(the|our|your|my)\s+(whole\s+)?(holiday|trip|flight|wedding|funeral)\b(?!\s+(planning|plans|list|budget))|"
    r"\bon\s+the\s+\d{1,2}(st|nd|rd|th)\b|\b(on|by)\s+(mon|tues?|weds?|thurs?|fri|sat|sun)\b|"
    r"\bafter\s+dinner\b|\bon\s+(his|her|our|their|your|my)\s+anniversary\b|"
    r"\b(missed|forgot|forgotten|forgetting|remembered|remembering|skipped|ruined|wrecked|spoiled|spoilt|cancelled|left)\s+"
    r"(the|your|my|our|his|her|their|\w+'s)\s+(\w+\s+)?" + _EVENT + r"\b|"
    r"\b(the|our|your|my|his|her|their|it's\s+our)\s+first\s+(\w+\s+)?(date|kiss|holiday|christmas|day|night|week|home|flat|house|trip|valentine's|"
    r"dance|meeting|anniversary)\b|"
    r"\b(\w+'s|my|your|our|his|her)\s+(\w+(tieth|teenth)|twenty-first|\d+(st|nd|rd|th))(\s+birthday)?\b|"
    r"\bwhen\s+(you|we|i|he|she|they|my\s+\w+)\s+(\w+\s+)?(came|told|said|went|made|took|left|forgot|"
    r"brought|gave|got|did|didn't|was|were|called|\w{3,}ed)\b"
)


# "every Christmas", "on a Saturday", "Friday evenings", "the first Sunday of each month": a pattern, not one time.
_RECURRING_SENTENCE = _c(
    r"\b(every|each)\s+(single\s+)?(month|week|year|time|saturday|sunday)\b|\bevery\s+\w+\s+since\b"
)
_RECURRING_BEFORE = _c(r"\b(every|each|most|all|on\s+a|any)\s+$")
_RECURRING_AFTER = _c(
    r"(\s+(mornings|afternoons|evenings|nights|roast|lunches|dinners|walks|classes|lessons|runs|calls|chats|swims|shifts)\b|\s+of\s+(each|every)\b)"
)


def _specific(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _SPECIFIC.finditer(text):
        if _RECURRING_BEFORE.search(text[: m.start()]) or _RECURRING_AFTER.match(text, m.end()):
            continue
        if _RECURRING_SENTENCE.search(_sentence_of(text, (m.start(), m.end()))):
            continue  # "Every month it's the same story: the rota lands on the 30th"
        spans.append((m.start(), m.end()))
    return _merge(spans)


_REQUEST = _c(
    r"(?P<pre>^\s*((next\s+time|in\s+future|from\s+now\s+on|also|then|maybe|perhaps|honestly|now),?\s+)?|[,;:]\s*|"
    r"\b(?:so|and|but|please)\s+)(could|can|would|will)\s+(you|we|i|us|one\s+of\s+you|any\s+of\s+you|either\s+of\s+you|"
    r"someone|somebody)\b(?!\s+(believe|imagine|guess)\b)(?=[^.!?]*\?)|"
    r"\bwould\s+(you|it)\s+be\s+(willing|open|possible|ok|okay|alright|all\s+right)\b|"
    r"\bwould\s+you\s+mind\b|\bwould\s+you\s+like\s+to\b|"
    r"(?P<pre2>^\s*|[,;:]\s*|\b(?:so|and|but)\s+)do\s+you\s+(want|fancy)\s+(to|me\s+to)\b(?=[^.!?]*\?)|"
    r"\b(would|could|will|does|do)\s+(\w+\s+){1,3}(work|suit)\s+(better\s+)?(for\s+)?(you|us)\b(?=[^.!?]*\?)|"
    r"\bi('d|\s+would)\s+(still\s+|also\s+)?like\s+(one|a|an|some|more|the|us|you|it\s+if)\b|\bi('d|\s+would)\s+like\s+to\b|"
    r"\bplease\b|"
    r"\bi('d|\s+would)\s+love\s+(you|us|it\s+if)\b|"
    r"\bi('d|\s+would)\s+appreciate\s+it\s+if\b|"
    r"\bi\s+(want|need)\s+(you|us)\s+to\b|"
    r"\blet's\b(?!\s+(just\s+)?(leave|drop|forget)\s+it\b|\s+not\b)|\blet\s+us\b|"
    r",\s*(and\s+)?you\s+(get|do|take|grab|pick|sort|bring|make|call|ring|book|wash|cook)\s+(the|it|them|some|a|us|me)\b|"
    r"\bdon't\s+forget\s+to\b|"
    r"\bhow\s+about\s+(we|you)\b|\bshall\s+we\b|"
    r"\bi('d|\s+would)\s+(really\s+|just\s+|very\s+much\s+|so\s+|honestly\s+)(like|love)\s+(you|us|to|it\s+if|for\s+(you|us))\b|"
    r"\bdo\s+you\s+think\s+(you|we|i)\s+(could|can|might)\b|\b(is\s+there\s+)?any\s+chance\s+(you|we|i)\s+(could|can|might)\b|"
    r"\bi\s+(was|am|'m)\s+wondering\s+if\s+(you|we|i)\s+(could|might|can)\b|\bi\s+wondered\s+if\s+(you|we)\s+(could|might)\b|"
    r"\bare\s+you\s+able\s+to\b(?=[^.!?]*\?)|\b(what\s+if|maybe|perhaps)\s+we\s+(could\s+|can\s+)?(try|tried|take|took|"
    r"go|went|talk|talked|agree|agreed|split|swap|swapped|share|shared|sit|sat|plan|planned|make|made|set|book|booked)\b|"
    r"\bcan\s+i\s+ask\s+(you|that)\b|"
    r"\bit\s+would\s+(really\s+)?(help|be\s+(great|nice|lovely|helpful|good|a\s+big\s+help))\s+(me\s+)?if\s+you\s+(could|would|can)\b"
)
# A direct imperative ("Text me when you get home.") asks clearly too; idioms and brush-offs excluded.
_IMPERATIVE = _c(
    r"(^\s*|,\s*)(just\s+|please\s+)?(call|text|ring|phone|tell|let|give|send|bring|pick|take|leave|put|come|help|stop|try|"
    r"remember|check|book|sort|ask|wait|meet|show|email|grab|save|keep|turn|switch|pop|drop|make|pass|hand|fetch|hold|shut|"
    r"close|open|wash|hang|feed|walk|empty|lock|clear|water)\s+"
    r"(?!(me\s+alone|it\b|your\s+time|me\s+about\s+it|me\s+a\s+break|your\s+hair|on\b|yourself|it\s+go|me\s+be)\b)"
    r"(me|us|the|your|my|a|an|him|her|them|some|over|round|up|back|in|by|for|off|down|out|this|that|\w+ing)\b"
)


_VAGUE = _c(r"\b(some\s*time|one\s+day|at\s+some\s+point|one\s+of\s+these\s+days)\s*[.!]*\s*$")


def _request(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        if re.match(r"\s*(oh\s+)?please\s*[.!]*\s*$", sentence, _FLAGS):
            continue  # "Oh please." is scorn, not a request
        if _VAGUE.search(sentence):
            continue  # "Let's grab lunch sometime!": friendly, but nothing concrete to agree to
        for m in _REQUEST.finditer(sentence):
            pre = next((g for g in ("pre", "pre2") if m.group(g) is not None), None)
            s = m.end(pre) if pre else m.start()
            spans.append((start + s, start + m.end()))
        imperative = _IMPERATIVE.search(sentence)
        if imperative and not (
            _WITHDRAWAL.search(sentence)
            or _SARCASTIC_OPENER.match(sentence)
            or _INSULT.search(sentence)
            or re.search(r"\bthen\s*[.!]*\s*$", sentence, _FLAGS)  # "Go to the pub then.": resigned
        ):
            spans.append((start + imperative.start(3), start + imperative.end()))
    return _merge(spans)


_ACK = _c(
    r"\bi\s+(really\s+|totally\s+|completely\s+|do\s+)?(know|understand|get|can\s+see|see|hear|appreciate|realise|"
    r"realize|can\s+understand|can\s+imagine|respect)\s+"
    r"(that|why|how|what|you|it's|it\s+is|this|the|work|your|things|money|it)\b|"
    r"\bi\s+hear\s+you\b|\bi\s+(can\s+|do\s+)?(appreciate|accept|respect)\s+(that|why|how|it's|you're)\b|"
    r"\bi\s+(really\s+|do\s+)?(appreciate|appreciated)\s+(you|that\s+you|how\s+(much\s+)?you|your)\b|"
    r"\bi\s+(completely\s+|totally\s+|really\s+|fully\s+)?understand\s+(?!(nothing|why\s+you\s+(always|never))\b)\w+|"
    r"\bi\s+know\s+(it|this|that)\s+(isn't|is\s+not|hasn't|wasn't)\s+easy\b|\bi\s+can\s+tell\s+(you|that)\b|"
    r"\byou('re|\s+are)\s+right\b|\bthat\s+makes\s+sense\b|\byou('ve|\s+had|\s+have)\s+every\s+(reason|right)\b|"
    r"\byou('re|\s+are)\s+not\s+wrong\b|\bpoint\s+taken\b|,\s*i\s+know\s*[.!]|\bi\s+know\s+(?!(nothing|something|everything|anything)\b)\w+ing\b|"
    r"\bi\s+know\s+[^.!?]*\b(isn't|aren't|wasn't|weren't|hasn't|haven't)\s+(been\s+)?easy\s+for\s+you\b|"
    r"\bfair\s+enough\b|\byou('ve|\s+have)\s+(got\s+)?a\s+(good\s+|fair\s+)?point\b|\bi\s+see\s+your\s+point\b|\bfrom\s+your\s+(point\s+of\s+view|side|perspective)\b|"
    r"\bi\s+can\s+see\s+(you|why|how|that|the|it)\b|"
    r"\b(that|it)\s+must\s+(be|have\s+been)\s+((so|really|very)\s+)?(hard|difficult|tough|awful|horrible|frightening|scary|"
    r"stressful|exhausting|a\s+lot|lonely|upsetting|painful|worrying|draining|a\s+shock)\b|"
    r"\bi\s+(can\s+)?see\s+where\s+you('re|\s+are)\s+coming\s+from\b|\bi\s+see\s+what\s+you\s+mean\b|"
    r"\b(fair|good)\s+point\b|\b(it's|that's|it\s+is|that\s+is)\s+(completely\s+|totally\s+|perfectly\s+)?"
    r"(understandable|fair|reasonable)\b|\bno\s+wonder\s+you\b|\byou\s+were\s+right\b|\byou\s+had\s+a\s+point\b|"
    r"\bi\s+(completely\s+|totally\s+|really\s+)?understand\s*[.!,]"
)


def _acknowledge(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _ACK.finditer(text):
        rest = text[m.end() : m.end() + 40]
        before = text[max(0, m.start() - 12) : m.start()]
        if re.search(r"\b(don't|do\s+not|didn't)\s*$", before, _FLAGS):
            continue
        if re.match(r"appreciate", m.group(2) or "", _FLAGS) and re.match(
            r"\s*it\b", m.group(3) or "", _FLAGS
        ):
            continue
        if re.search(r"\bappreciate\s+it\b", m.group(), _FLAGS):
            continue  # "I'd appreciate it if" is a request; "really appreciate it" often sarcasm
        if re.match(r"\s*(don't|never)\s+care\b", rest, _FLAGS):
            continue  # "I know you don't care" is an accusation
        spans.append((m.start(), m.end()))
    return spans


# --- assembling the analysis ------------------------------------------------------------------


def _trim(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """Without surrounding whitespace or punctuation, so a highlight covers only the words."""
    start, end = span
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return (start, end)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(set(spans)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


EXPLANATIONS = {
    "generalisation": "Words like “always” and “never” turn one event into a verdict on the whole "
    "person; the other person tends to argue with the exception instead of hearing you.",
    "blame_you_accusation": "A sentence that starts from what the other person did wrong (“you made me”, "
    "“your fault”) usually makes them defend themselves rather than listen.",
    "hint": "A hint leaves the other person to guess what you want, and they may not guess.",
    "unstated_expectation": "Expecting the other person to know what you need without being told sets "
    "you both up for disappointment.",
    "withdrawal": "Words like “whatever” or “forget it” end the conversation before your need is heard.",
    "insult_sarcasm": "Insults and sarcasm hurt, and the message behind them gets lost.",
    "i_statement_feeling": "You name your own feeling, which the other person can hear without "
    "feeling attacked.",
    "specific_situation": "You point to a concrete time or event, which is easier to talk about than "
    "“always” or “never”.",
    "clear_request": "You ask directly for what you want, so the other person knows what would help.",
    "acknowledge_other_view": "You recognise the other person's side, which makes them more ready to "
    "hear yours.",
}

_STRENGTH_TEXT = {
    "i_statement_feeling": "You said how you feel (“{words}”). Naming your own feeling is one of the "
    "most helpful things you can do: it is hard to argue with.",
    "specific_situation": "You pointed to a specific moment (“{words}”). That keeps the conversation on "
    "something you can both picture and talk about.",
    "clear_request": "You asked for something clearly (“{words}”). The other person knows what would help.",
    "acknowledge_other_view": "You acknowledged their side (“{words}”). That makes it easier for them "
    "to listen to yours.",
}


def _quote(text: str, finding: Finding) -> str:
    return "”, “".join(w.strip() for w in finding.words(text)[:2])


def _sentence_of(text: str, span: tuple[int, int]) -> str:
    for start, end in _sentences(text):
        if start <= span[0] < end:
            return text[start:end].strip()
    return text.strip()


def _hint_rewrite(sentence: str) -> str | None:
    m = re.search(
        r"\bif\s+(someone|somebody|anyone)\s+(else\s+)?(could\s+|would\s+)?(.+?)[.!?]*$", sentence, _FLAGS
    )
    if not m:
        return None
    action = m.group(4).strip()
    past = {
        "took": "take",
        "did": "do",
        "made": "make",
        "cooked": "cook",
        "explained": "explain",
        "helped": "help",
        "called": "call",
        "washed": "wash",
        "cleaned": "clean",
        "put": "put",
        "gave": "give",
        "came": "come",
        "rang": "ring",
        "sorted": "sort",
    }
    first, _, rest = action.partition(" ")
    verb = past.get(first.lower(), first)
    return f"Could you {verb} {rest}?".replace("  ", " ").replace(" ?", "?")


_YOU_ALWAYS = _c(r"\byou\s+(always|never|constantly)\s+([a-z]+)([^.!?,;]*)")


def _always_rewrite(sentence: str) -> str | None:
    """ "You never call me" -> "When you don't call me, like last week, I feel …"."""
    m = _YOU_ALWAYS.search(sentence)
    if not m or m.group(2).lower() in {"do", "did", "have", "had", "was", "were", "are", "is", "know"}:
        return None
    verb, rest = m.group(2), m.group(3).rstrip()
    if m.group(1).lower() == "never":
        return f"When you don't {verb}{rest}, like last week, I feel …"
    return f"When you {verb}{rest}, like you did on Saturday, I feel …"


def _suggestion(feature: str, text: str, finding: Finding | None) -> str:
    words = _quote(text, finding) if finding else ""
    if feature == "insult_sarcasm":
        return (
            f"Leave out “{words}”. Say plainly what upset you instead, for example: "
            "“I was hurt when you forgot, and I'd like us to talk about it.”"
        )
    rewrite = _always_rewrite(_sentence_of(text, finding.spans[0])) if finding else None
    if feature == "blame_you_accusation" and rewrite:
        return (
            f"Try starting from yourself instead of “{words}”: name one time it happened and how it left "
            f"you feeling, for example: “{rewrite}”"
        )
    if feature == "generalisation" and rewrite:
        return (
            f"Swap “{words}” for one specific time it happened, for example: “{rewrite}” One real example "
            "is easier to hear than “always” or “never”."
        )
    if feature == "blame_you_accusation":
        return (
            f"Try starting from yourself instead of “{words}”: say what happened and how it left you "
            "feeling, for example: “When you were on your phone at dinner last night, I felt ignored.”"
        )
    if feature == "generalisation":
        return (
            f"Swap “{words}” for one specific time it happened, for example: “On Tuesday, when I was "
            "telling you about my day, you were looking at your phone.” One real example is easier to "
            "hear than “always” or “never”."
        )
    if feature == "withdrawal":
        return (
            f"Words like “{words}” close the conversation. If you need a pause, say so and come back to it, for "
            "example: “I'm too upset to talk well right now. Can we pick this up after dinner?”"
        )
    if feature == "unstated_expectation":
        return (
            f"Instead of “{words}”, say what you need out loud, for example: “It matters to me that you "
            "remember our anniversary. Could you put it in your calendar?”"
        )
    if feature == "hint":
        rewrite = _hint_rewrite(_sentence_of(text, finding.spans[0])) if finding else None
        example = f"“{rewrite}”" if rewrite else "“Could you take the bins out tonight?”"
        return f"“{words}” is a hint; the other person may miss it. Ask directly, for example: {example}"
    if feature == "clear_request":
        return (
            "Finish with a clear, doable request so the other person knows what would help, for "
            "example: “Could we …?” or “Would you be willing to …?”"
        )
    if feature == "i_statement_feeling":
        return (
            "Say how this leaves you feeling, in your own words, for example: “I feel lonely when we "
            "don't talk in the evenings.”"
        )
    if feature == "specific_situation":
        return "Mention the particular time or event you mean, for example: “Last night, when …”."
    return "Acknowledge their side in a sentence, for example: “I know you've had a lot on.”"


def analyse(text: str) -> Analysis:
    """Analyse one message; pure and fast (regular expressions only)."""
    norm, origin = _expand(_normalise(text))
    insult_spans = _insult(norm)
    sarcastic = bool(insult_spans)
    detected: dict[str, list[tuple[int, int]]] = {
        "generalisation": _generalisation(norm, sarcastic),
        "blame_you_accusation": _blame(norm),
        "hint": _hint(norm),
        "unstated_expectation": _unstated(norm),
        "withdrawal": _withdrawal(norm),
        "insult_sarcasm": insult_spans,
        "i_statement_feeling": _i_statement(norm),
        "specific_situation": _specific(norm),
        "clear_request": _request(norm),
        "acknowledge_other_view": _acknowledge(norm),
    }
    # An acknowledgement or request inside a sarcastic sentence ("Fine. You're right, as usual.",
    # "Brilliant, let's spend another anniversary at your sister's.") is not one.
    sarcastic_sentences = [(a, b) for a, b in _sentences(norm) if any(a <= s < b for s, _ in insult_spans)]
    for feature in ("acknowledge_other_view", "clear_request"):
        detected[feature] = [
            span for span in detected[feature] if not any(a <= span[0] < b for a, b in sarcastic_sentences)
        ]
    # "I'd appreciate it if you could" is a request, not a hint; a sarcastic "Oh great" is not praise.
    analysis = Analysis(text=text)
    for feature in STRENGTHS + PROBLEMS:
        trimmed = [_trim(norm, span) for span in detected[feature]]
        spans = _merge([(origin[a], origin[b - 1] + 1) for a, b in trimmed if a < b])
        if not spans:
            continue
        kind = "strength" if feature in STRENGTHS else "problem"
        analysis.findings.append(Finding(feature, FEATURES[feature], kind, spans, EXPLANATIONS[feature]))
        analysis.features.add(feature)

    by_feature = {f.feature: f for f in analysis.findings}
    for feature in STRENGTHS:
        if feature in by_feature:
            analysis.strengths.append(_STRENGTH_TEXT[feature].format(words=_quote(text, by_feature[feature])))
    if not analysis.strengths:
        analysis.strengths.append(
            "You are thinking about what to say before you say it. Preparing like this is already a "
            "good step."
        )
    covered: list[tuple[int, int]] = []
    for feature in PROBLEMS:
        if feature not in by_feature or len(analysis.suggestions) >= MAX_SUGGESTIONS:
            continue
        spans = by_feature[feature].spans
        if all(any(a <= start and end <= b for a, b in covered) for start, end in spans):
            continue  # "never" inside "you never": one suggestion already covers these words
        covered.extend(spans)
        analysis.suggestions.append(_suggestion(feature, text, by_feature[feature]))
    for feature in ("clear_request", "i_statement_feeling"):
        if feature not in by_feature and len(analysis.suggestions) < MAX_SUGGESTIONS:
            analysis.suggestions.append(_suggestion(feature, text, None))
    return analysis
