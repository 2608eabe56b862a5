"""The communication analyser: each feature with positive and tricky negative cases, spans, feedback order."""

import pytest

from ipt.practice.communication import FEATURES, analyse


def words(text: str, feature: str) -> list[str]:
    found = [f for f in analyse(text).findings if f.feature == feature]
    return [text[s:e] for f in found for s, e in f.spans]


def has(text: str, feature: str) -> bool:
    return feature in analyse(text).features


@pytest.mark.parametrize(
    ("feature", "positive", "negative"),
    [
        ("generalisation", "You never listen to a word I say.", "I never want to lose you."),
        ("generalisation", "Nothing ever changes around here.", "Thanks for nothing."),
        ("generalisation", "Every time I come home there's an argument.", "You always make me laugh."),
        ("generalisation", "No one ever helps with Dad except me.", "Never mind, it doesn't matter."),
        ("generalisation", "I do everything around here.", "I know nothing about cars."),
        ("generalisation", "You know nothing about me.", "I remember nothing of that night."),
        ("blame_you_accusation", "You made me late for work again.", "I love you, you know that."),
        (
            "blame_you_accusation",
            "It's your fault we missed the flight.",
            "You never know, it might be fine.",
        ),
        ("blame_you_accusation", "You're so selfish.", "I hear you, you're worried about your job."),
        (
            "blame_you_accusation",
            "I feel like you don't care about me at all.",
            "You were always so good to me.",
        ),
        ("hint", "It would be nice if someone took the bins out.", "Could you take the bins out?"),
        ("hint", "I guess the dishes won't wash themselves.", "I washed the dishes."),
        ("unstated_expectation", "You should know by now what I need.", "I know you're busy."),
        ("unstated_expectation", "If you really cared you'd know.", "I care about you."),
        ("unstated_expectation", "I shouldn't have to ask you to help.", "I shouldn't have brought it up."),
        ("withdrawal", "Whatever. Forget it.", "Whatever you decide about the job, I'll back you."),
        ("withdrawal", "Fine, do what you want.", "I'm fine with either, you pick."),
        ("withdrawal", "Never mind, I'll ask someone else.", "Don't forget to bring the tickets."),
        ("insult_sarcasm", "Oh great, thanks a lot.", "That's great news, I'm so pleased."),
        ("insult_sarcasm", "Nice one, genius.", "Thank you so much for yesterday."),
        ("insult_sarcasm", "You're an idiot if you think she'll change.", "I felt silly afterwards."),
        ("i_statement_feeling", "I felt hurt when you left.", "I feel that you always take their side."),
        (
            "i_statement_feeling",
            "I'm really worried about money.",
            "If you really cared you'd know why I'm upset.",
        ),
        ("i_statement_feeling", "I feel lonely in the evenings.", "I felt like you weren't listening."),
        ("specific_situation", "Last night when you came home late I was worried.", "You're late every day."),
        ("specific_situation", "On Saturday, could you take Emma to football?", "I'll be home around six."),
        ("clear_request", "Could you call the plumber today?", "Did you see the match last night?"),
        ("clear_request", "Would you be willing to do the school run?", "Can you believe it's been a year?"),
        ("clear_request", "I'd like us to go for a walk together.", "I'd appreciate you more if you tried."),
        ("acknowledge_other_view", "I know you've been busy.", "I don't know what to get your sister."),
        ("acknowledge_other_view", "I can see why you were annoyed.", "I'd appreciate it if you could call."),
    ],
)
def test_each_feature_is_found_in_the_positive_case_and_not_in_the_tricky_negative(
    feature, positive, negative
):
    assert has(positive, feature), positive
    assert not has(negative, feature), negative


def test_the_spans_point_at_the_words_the_analyser_reacted_to():
    text = "I felt hurt last night when you checked your phone. You never listen! Could we talk?"
    assert words(text, "i_statement_feeling") == ["I felt hurt"]
    assert "last night" in " ".join(words(text, "specific_situation"))
    assert words(text, "generalisation") == ["never"]
    assert words(text, "blame_you_accusation") == ["You never"]
    assert words(text, "clear_request") == ["Could we"]


def test_spans_stay_exact_with_typographic_apostrophes():
    text = "I’m scared we’re drifting apart. It’s your fault."
    assert words(text, "i_statement_feeling") == ["I’m scared"]
    assert words(text, "blame_you_accusation") == ["It’s your fault"]


def test_texting_shorthand_is_read_as_words_and_the_spans_stay_on_what_was_typed():
    text = "u never reply. honestly im so anxious about the results tmrw, can u call me after?"
    assert words(text, "blame_you_accusation") == ["u never"]
    assert words(text, "i_statement_feeling") == ["im so anxious"]
    assert words(text, "specific_situation") == ["tmrw"]
    assert words(text, "clear_request") == ["can u"]
    assert words("U-turns are banned here.", "blame_you_accusation") == []


def test_every_finding_has_a_known_feature_a_kind_and_a_plain_label():
    analysis = analyse("You always do this, you're pathetic. Whatever. I know you're tired, could we talk?")
    assert analysis.findings
    for finding in analysis.findings:
        assert finding.feature in FEATURES and finding.label == FEATURES[finding.feature]
        assert finding.kind in {"strength", "problem"}
        assert finding.explanation
    assert analysis.features == {f.feature for f in analysis.findings}


def test_strengths_come_first_and_there_are_at_most_two_suggestions():
    text = "I know you're tired. You always do this, you're pathetic. It's your fault. Whatever."
    analysis = analyse(text)
    assert analysis.strengths and "acknowledged" in analysis.strengths[0]
    assert len(analysis.suggestions) == 2
    # the most hurtful problems come first: insults, then blame
    assert "pathetic" in analysis.suggestions[0]
    assert "It's your fault" in analysis.suggestions[1] or "You always" in analysis.suggestions[1]


def test_a_message_with_no_good_move_still_gets_a_kind_strength_and_a_concrete_suggestion():
    analysis = analyse("Forget it.")
    assert analysis.strengths == [analysis.strengths[0]] and "good step" in analysis.strengths[0]
    assert analysis.suggestions and "Forget it" in analysis.suggestions[0]


def test_a_hint_gets_a_rewrite_in_the_patients_own_words():
    analysis = analyse("It would be nice if someone took the bins out for once.")
    assert any("Could you take the bins out for once?" in s for s in analysis.suggestions)


def test_a_good_message_gets_no_problem_suggestions():
    text = "I felt lonely last night. Could we have dinner together on Friday?"
    analysis = analyse(text)
    assert {"i_statement_feeling", "specific_situation", "clear_request"} <= analysis.features
    assert not {f.kind for f in analysis.findings} - {"strength"}
    assert len(analysis.strengths) == 3
    assert len(analysis.suggestions) <= 2


def test_the_analysis_serialises_to_json_with_the_marked_words():
    data = analyse("You never help.").as_dict()
    blame = next(f for f in data["findings"] if f["feature"] == "blame_you_accusation")
    assert blame["words"] == ["You never"] and blame["spans"] == [[0, 9]]


@pytest.mark.parametrize("text", ["you " * 500, "I feel so " * 200, "it would be nice " * 117, "." * 2000])
def test_the_longest_allowed_message_is_analysed_quickly(text):
    import time

    started = time.perf_counter()
    analyse(text[:2000])
    assert time.perf_counter() - started < 0.5


def test_warm_uses_of_you_and_always_are_not_problems():
    analysis = analyse("You make me feel safe. You always make me laugh. I love you.")
    assert not {f.kind for f in analysis.findings} & {"problem"}
