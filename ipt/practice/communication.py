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
    r"thank|thanks|support|safe|special|fun|best|beautiful|amazing|brilliant|welcome|backed|appreciate)\b"
)
_SARCASTIC_OPENER = _c(
    r"^\s*(oh\s+(great|brilliant|lovely|sure|yes|wonderful|perfect|joy|right|well\s+done|how\s+nice)|"
    r"wonderful|fantastic|brilliant \w+|nice one|great \w+ as usual|real mature|typical|what\s+a\s+surprise|"
    r"that's\s+rich|cheers\s+for\s+(the|that|nothing)|really\s+helpful|very\s+helpful|another\s+genius|"
    r"how\s+(nice|lovely|thoughtful|kind|generous)(\s+of\s+you)?|well\s+aren't\s+you|aren't\s+you\s+(clever|special|"
    r"something)|big\s+surprise|oh\s+(joy|goody)|yeah\s+right|sure\s+you\s+(did|will)|oh\s+please|"
    r"thanks\s+so\s+much|super|just\s+great|just\s+perfect|marvellous|terrific)\b"
)


# --- problem detectors ------------------------------------------------------------------------

_GENERAL_WORDS = _c(
    r"\b(always|never|every\s+(single\s+)?(time|day|night|week|weekend|morning|evening)|"
    r"everything|nothing|nobody|no\s+one|everyone|everybody|all\s+the\s+time|constantly|"
    r"as\s+usual|not\s+once|only\s+(one\s+who\s+)?ever|every\s+(single\s+)?thing|"
    r"a\s+(hundred|thousand|million)\s+times)\b"
)
_SELF_SUBJECT = _c(r"\b(i|i'd|i'll|i've|we|we'd|we'll)\s+(would\s+|will\s+|have\s+|had\s+)?$")


def _generalisation(text: str, sarcastic: bool) -> list[tuple[int, int]]:
    spans = []
    for m in _GENERAL_WORDS.finditer(text):
        word = m.group().lower()
        before = text[: m.start()]
        after = _clause_after(text, m.end())
        if word == "never" and re.match(r"\s+mind\b", text[m.end() :], _FLAGS):
            continue  # "never mind" is withdrawal, not a generalisation
        if (
            word == "never"
            and re.search(r"\byou\s+$", before, _FLAGS)
            and re.match(r"\s+know\b", after, _FLAGS)
        ):
            continue  # "you never know" (idiom)
        if word == "nothing" and re.search(r"\bfor\s+$", before, _FLAGS):
            continue  # "thanks for nothing" is sarcasm, handled there
        if word == "nothing" and re.match(r"\s+(wrong|to worry)", after, _FLAGS):
            continue
        if _SELF_SUBJECT.search(before[-24:]):
            continue  # "I never want to lose you": about oneself, not a sweeping claim about the other
        clause = _clause_before(text, m.start()) + m.group() + after
        if not sarcastic and _POSITIVE.search(clause):
            continue  # "you always make me laugh", "everyone had a great time"
        spans.append((m.start(), m.end()))
    return spans


_NEGATIVE_TRAIT = (
    r"(selfish|lazy|useless|pathetic|hopeless|impossible|ridiculous|childish|stupid|an?\s+idiot|"
    r"a\s+liar|a\s+joke|a\s+nightmare|so\s+\w+ish|unbelievable|the\s+victim|such\s+an?\s+[\w ]+)"
)
_BLAME = _c(
    r"\byou(\s+|'ve\s+|\s+have\s+)(made|make)\s+(me|this|it|everything)\b|"
    r"\b(it's|it\s+is|it\s+was|that's)\s+(all\s+)?your\s+fault\b|"
    r"\bbecause\s+of\s+you\b|\byou('re|\s+are)\s+the\s+reason\b|"
    r"\byou(\s+|'ve\s+|\s+have\s+)(ruined|ruin|wrecked|spoil(ed|t)?|let\s+me\s+down|ignored|ignore|embarrassed|"
    r"humiliated|treat\s+me\s+like|set\s+me\s+up|left\s+me|forget|forgot|messed\s+up|broke)\b|"
    r"\byou('re|\s+are)\s+(acting|behaving|being)\s+(like|so|really|ridiculous|unfair|selfish|childish|unreasonable|"
    r"difficult|impossible|mean|cruel|horrible)\b|\byou('re|\s+are)\s+\w+\s+again\b|"
    r"\byou\s+(constantly\s+\w+|keep\s+\w+ing|kept\s+\w+ing)\b|\byou('ve|\s+have)\s+been\s+(really\s+|so\s+|very\s+)?(unfair|mean|cruel|"
    r"horrible|rude|selfish|awful|impossible|unkind|cold|distant|ignoring)\b|\bwithout\s+(telling|asking|consulting)\s+me\b|"
    r"\byou\s+(just\s+)?(didn't|did\s+not|won't|wouldn't)\s*[.!]|\byou\s+(promised|said\s+you\s+would)\b[^.!?]*\bbut\b|"
    r"\byou\s+(broke|broken)\s+(your|my)\s+(promise|word|trust)\b|"
    r"\byou\s+(clearly\s+|just\s+|really\s+)?(don't|do\s+not|didn't|did\s+not)\s+(even\s+)?"
    r"(care|listen|try|help|bother|show\s+up|understand|think)\b|"
    r"\byou\s+can't\s+even\b|"
    r"\byou\s+(always|never|only\s+ever)\b|\byou('re|\s+are)\s+(always|constantly|forever)\b|"
    r"\byou('re|\s+are|\s+were)\s+(always|constantly|so|such|being|just|an?|the)?\s*" + _NEGATIVE_TRAIT
)


_MAKE_ME_BAD = _c(
    r"\s+(feel\s+(like\s+)?(stupid|small|bad|guilty|useless|worthless|a\s+failure)|angry|so\s+angry|sick|"
    r"miserable|do\s+everything|late)"
)


def _blame(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _BLAME.finditer(text):
        after = _clause_after(text, m.end())
        if re.match(r"you\s+never$", m.group(), _FLAGS) and re.match(r"\s+know\b", after, _FLAGS):
            continue  # "you never know" (idiom)
        clause = m.group() + after
        if _POSITIVE.search(clause) and not re.search(r"\b(never|don't|didn't|can't)\b", clause, _FLAGS):
            continue  # "you always make me laugh", "you make me happy"
        present_make = re.match(r"you\s+make\s+me\b", m.group(), _FLAGS)
        if present_make and not _MAKE_ME_BAD.match(text[m.end() :]):
            continue  # "you make me feel safe" is warm; "you make me feel stupid" is blame
        spans.append((m.start(), m.end()))
    return spans


_HINT = _c(
    r"\b(it\s+would|it'd|wouldn't\s+it)\s+be\s+(so\s+|really\s+)?(nice|lovely|great|good|helpful|wonderful)"
    r"\s+(if\s+(someone|somebody|anyone|people|some\s+people|there\s+(was|were))|if\s+the\s+\w+|to)\b|"
    r"^\s*(i\s+)?(guess|suppose)\b(?!\s+(you're|you\s+are|so|not)\b)|"
    r"\b(but|then|so)\s+i\s+(guess|suppose)\b|"
    r"\b(won't|isn't|aren't|is\s+not|are\s+not)\s+(going\s+to\s+)?\w+\s+(themselves|itself)\b|"
    r"\b(it's\s+a\s+|what\s+a\s+)?shame\s+(nobody|no\s+one|i've\s+got|i\s+have|that\s+nobody)\b|"
    r"\bif\s+(anyone|anybody|someone)\s+ever\b|\bnow\s+and\s+then\b|"
    r"\bi\s+wouldn't\s+say\s+no\b|\bsomeone's\s+been\b|\bsomebody's\s+been\b|\b(piling|stacking)\s+up\b|"
    r"\bi\s+could\s+(really\s+)?(do|use)\s+with\b|\bwouldn't\s+hurt\s+(to|if)\b|\bi\s+wish\s+(someone|somebody|"
    r"people|you\s+would|you'd)\b|\bnot\s+that\s+(i|anyone)\s+(mind|cares|noticed)\b|\bdrop\s+a\s+hint\b|"
    r"\bsome\s+(people|of\s+us|\w+s)\s+(actually|would|manage|bother|remember|at\s+least|do)\b|\bsome\s+(people|of\s+us)\b|\bfunny\s+how\b|\bmust\s+be\s+nice\b|\bnot\s+that\s+anyone\s+(asked|cares)\b|"
    r"\bi've\s+been\s+waiting\s+for\b|"
    r"\b(other\s+(people|teams|couples|families|mums|dads)|my\s+friends'?\s+(husbands|wives|partners))\b|"
    r"\bonce\s+in\s+a\s+while\b"
)


def _hint(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        for m in _HINT.finditer(sentence):
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
    r"\bif\s+you\s+(really\s+|actually\s+|truly\s+)?(cared|loved\s+me|respected\s+me)\b|"
    r"\bif\s+you\s+were\s+a\s+(real|good|proper)\s+\w+\b|"
    r"\ba\s+(real|good|proper)\s+(friend|partner|husband|wife|sister|brother|son|daughter|mother|father)"
    r"\s+would\b|"
    r"\bwould\s+(just\s+)?know\b|\bshould\s+know\s+by\s+now\b"
)


def _unstated(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _UNSTATED.finditer(text)]


_WITHDRAWAL = _c(
    r"^\s*(ok(ay)?,?\s+)?whatever\b(?!\s+(you\s+(decide|choose|need)|happens))|"
    r"\bwhatever\s*[.!]|"
    r"\bwhatever\s+(you\s+say|makes\s+you\s+happy)\b|"
    r"\bdo\s+(what|whatever)\s+you\s+(want|like|think\s+is\s+best)\b|"
    r"\bforget\s+(it|about\s+it|i\s+said\s+anything|i\s+asked)\b|\bi\s+give\s+up\b|\bi'm\s+out\b|"
    r"\bcan't\s+be\s+bothered\b|"
    r"\bnever\s*mind\b|"
    r"\bi'm\s+done(\s+talking|\s+with\s+this)?\s*[.!,]|\bi'm\s+done\s+talking\b|"
    r"\bi\s+(don't|do\s+not)\s+care\s+any\s*more\b|"
    r"\b(i'm|i\s+am)\s+not\s+going\s+to\s+argue\b|"
    r"^\s*(ok(ay)?,?\s+)?fine\s*[,.!]"
)


def _withdrawal(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        for m in _WITHDRAWAL.finditer(sentence):
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
    r"\banother\s+(excuse|lecture|brilliant|great|wonderful)\b"
)
_GENUINE_PRAISE = _c(r"\bwell\s+done\s+(on|for|with)\b")


def _insult(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        opener = _SARCASTIC_OPENER.match(sentence)
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
            if word in {"a child", "a baby", "joke", "a joke"} and not re.search(
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
    r"gutted|sick\s+of\s+\w+|smothered|safe|unsafe|hurting|heartsick|shaken|shocked|numb|empty|"
    r"hurt\s+and\s+\w+|ignored|devastated|crushed|gutted|scared|unhappy|miserable|desperate|broken|disheartened|"
    r"demoralised|demoralized|fed\s+up|bored|restless|resentful|content|calm|peaceful|loved|valued)"
)
_I_FEEL = _c(
    r"\bi(\s+|(?='))(feel|felt|am\s+feeling|'m\s+feeling|was\s+feeling|have\s+been\s+feeling|'ve\s+been\s+feeling|"
    r"get|got|'m|am|was|'ve\s+been|have\s+been)\s+"
    r"((so|really|very|a\s+bit|a\s+little|quite|pretty|rather|incredibly|deeply|truly|completely|totally|"
    r"absolutely|more\s+and\s+more|a\s+lot\s+more)\s+)*" + _FEELING_WORDS + r"\b"
)
_I_FEEL_COMPACT = _c(r"\bi('m|'ve\s+been)\s+((so|really|very|a\s+bit|quite)\s+)*" + _FEELING_WORDS + r"\b")
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
_I_MISS = _c(r"\bi('ve)?\s+(really\s+)?(miss|missed)\s+(you|us|our|having)\b")


def _i_statement(text: str) -> list[tuple[int, int]]:
    spans = []
    for pattern in (_I_FEEL, _I_FEEL_COMPACT, _I_FEEL_ANY, _I_FIND, _I_MISS):
        for m in pattern.finditer(text):
            if re.search(
                r"\b(why|how|what|whether|if)\s+$", text[max(0, m.start() - 10) : m.start()], _FLAGS
            ):
                continue  # "you'd know why I'm upset": a reported feeling inside another claim
            spans.append((m.start(), m.end()))
    return _merge(spans)


_DAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_EVENT = (
    r"(party|funeral|wedding|dinner|lunch|breakfast|meeting|pub|concert|match|presentation|appointment|"
    r"one-to-one|interview|holiday|trip|flight|christening|barbecue|drinks|birthday\s+(drinks|party|dinner)|"
    r"review|session|school\s+run|break-up|breakup|game|gig|hospital|birthday|restaurant|christmas)"
)
_SPECIFIC = _c(
    r"\b(on\s+)?" + _DAY + r"('s)?(\s+(morning|afternoon|evening|night))?\b|"
    r"\b(yesterday|today|tonight|tomorrow|this\s+(morning|afternoon|evening|weekend))\b|"
    r"\b(last|next)\s+(night|week|weekend|month|time\s+we|" + _DAY + r"|one-to-one|meeting|session)\b|"
    r"\bon\s+the\s+(\d{1,2}(st|nd|rd|th)?|first|second|third|\w+teenth|\w+tieth|\w+th|twelfth|fifth)"
    r"(?=\s*(of\s+(january|february|march|april|may|june|july|august|september|october|november|december)|[.,!?]|$))|"
    r"\bat\s+the\s+weekend\b|\b(last|next|this)\s+" + _EVENT + r"\b|"
    r"\b(christmas|new\s+year's|easter|thanksgiving)(\s+(day|eve|dinner|lunch))?\b|"
    r"\b(at|after|before|during|in|on|to)\s+(the|your|my|our|his|her|their|\w+'s)\s+(\w+('s)?\s+)?"
    + _EVENT
    + r"\b|"
    r"\b(the|our|your|my)\s+(whole\s+)?(holiday|trip|flight|wedding|funeral)\b|"
    r"\bafter\s+dinner\b|\bon\s+(his|her|our|their|your|my)\s+anniversary\b|"
    r"\bwhen\s+(you|we|i|he|she|they|my\s+\w+)\s+(\w+\s+)?(came|told|said|went|made|took|left|forgot|"
    r"brought|gave|got|did|didn't|was|were|called|\w{3,}ed)\b"
)


def _specific(text: str) -> list[tuple[int, int]]:
    return _merge([(m.start(), m.end()) for m in _SPECIFIC.finditer(text)])


_REQUEST = _c(
    r"(?P<pre>^\s*|[,;:]\s*|\b(?:so|and|but|please)\s+)(could|can|would|will)\s+(you|we|i|us)\b(?!\s+(believe|imagine|guess)\b)(?=[^.!?]*\?)|"
    r"\bwould\s+(you|it)\s+be\s+(willing|open|possible|ok|okay|alright|all\s+right)\b|"
    r"\bwould\s+you\s+mind\b|\bwould\s+you\s+like\s+to\b|"
    r"\bplease\b|"
    r"\bi('d|\s+would)\s+like\s+(you|us|to|it\s+if)\b|\bi('d|\s+would)\s+love\s+(you|us|it\s+if)\b|"
    r"\bi('d|\s+would)\s+appreciate\s+it\s+if\b|"
    r"\bi\s+(want|need)\s+(you|us)\s+to\b|"
    r"\blet's\b|\blet\s+us\b|"
    r"\bdon't\s+forget\s+to\b|"
    r"\bhow\s+about\s+(we|you)\b|\bshall\s+we\b"
)


def _request(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        if re.match(r"\s*(oh\s+)?please\s*[.!]*\s*$", sentence, _FLAGS):
            continue  # "Oh please." is scorn, not a request
        for m in _REQUEST.finditer(sentence):
            s = m.end("pre") if m.group("pre") is not None else m.start()
            spans.append((start + s, start + m.end()))
    return _merge(spans)


_ACK = _c(
    r"\bi\s+(really\s+|totally\s+|completely\s+|do\s+)?(know|understand|get|can\s+see|see|hear|appreciate|realise|"
    r"realize|can\s+understand|can\s+imagine|respect)\s+"
    r"(that|why|how|what|you|it's|it\s+is|this|the|work|your|things|money|it)\b|"
    r"\bi\s+hear\s+you\b|\bi\s+(can\s+|do\s+)?(appreciate|accept|respect)\s+(that|why|how|it's|you're)\b|"
    r"\bi\s+know\s+(it|this|that)\s+(isn't|is\s+not|hasn't|wasn't)\s+easy\b|\bi\s+can\s+tell\s+(you|that)\b|"
    r"\byou('re|\s+are)\s+right\b|\bthat\s+makes\s+sense\b|\byou\s+had\s+every\s+reason\b|"
    r"\bfair\s+enough\b|\byou('ve|\s+have)\s+(got\s+)?a\s+(good\s+|fair\s+)?point\b|\bi\s+see\s+your\s+point\b|\bfrom\s+your\s+(point\s+of\s+view|side|perspective)\b|"
    r"\bi\s+can\s+see\s+(you|why|how|that|the|it)\b|\bthat\s+must\s+(be|have\s+been)\s+(hard|difficult|tough)\b"
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
    norm = _normalise(text)
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
    # "I'd appreciate it if you could" is a request, not a hint; a sarcastic "Oh great" is not praise.
    analysis = Analysis(text=text)
    for feature in STRENGTHS + PROBLEMS:
        spans = _merge([_trim(norm, span) for span in detected[feature]])
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
