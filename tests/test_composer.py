import re

import pytest

from langchain_core.documents import Document

from bot.answer.backends.composer import (_ATTRIBUTION, _Candidate, _articles_named, _answered_inside, _CAUSE, _CLOCK, _LEVEL, _PERCENT, _POINT_IN_TIME,
                                          _SIGNPOST, Composer, _candidates, _excerpt, _is_transcript,
                                          _kinds_asked, _labelled_as_asked, _list_nouns, _lists_named, _parts_asked, _quoted, _rows_not_named,
                                          _figure_headings, _in_reading_order, _runners_up, _RUNNER_UP_SHARE, _SAME_ARTICLE_SHARE,
                                          _is_table_row, _years_told)
from bot import text as bot_text
from bot.text import MONEY, passage_units, split_sentences, stem


def passage(text: str, heading: str | None = None, score: float = 0.6, source: str = "a.md",
            heading_path: str | None = None, chunk_index: int | None = None,
            subheadings: list[str] | None = None) -> Document:
    meta: dict = {"score": score, "source": source, "title": "A"}
    for key, value in (("heading", heading), ("heading_path", heading_path), ("chunk_index", chunk_index),
                       ("subheadings", subheadings)):
        if value is not None:
            meta[key] = value
    return Document(page_content=text, metadata=meta)


SALARY = passage(
    "Engineers work in many industries. The starting pay is usually around $75,000 a year. "
    "Senior engineers can earn up to $200,000. Some go freelance."
)
SKILLS = passage("Engineers should know Python and R. They also need statistics and linear algebra.", score=0.7)
TOOLS = passage(
    "Teams that ship models every week rely on a few tools:\n- Airflow for scheduling pipelines\n"
    "- Docker for packaging services\n- Grafana for watching drift", heading="Tooling",
)
DURATION = passage("Hiring is slow in this field. Most hiring processes last 6 to 8 weeks from first call to offer. "
                   "Engineers say the wait is the hardest part.", score=0.55)
TABLE = passage(
    "Pay differs by level:\n- Junior — US: $70,000; UK: £35,000\n- Senior — US: $140,000; UK: £70,000",
    heading="Pay by level",
)


def _quoted_parts(answer: str) -> list[tuple[str, int]]:
    return [(text.strip(), int(n)) for text, n in re.findall(r"(.+?)\s\[(\d+)\]", answer)]


def test_every_unit_is_quoted_verbatim_from_its_cited_passage():
    passages = [SKILLS, SALARY, TOOLS, TABLE]
    for question in ("How much do engineers earn?", "Which tools do teams use?", "What do seniors make in the UK?"):
        answer = Composer().compose(question, passages)
        assert _quoted_parts(answer)
        for text, number in _quoted_parts(answer):
            units = [u.text.rstrip(".;") for u in passage_units(passages[number - 1].page_content)]
            for piece in re.split(r"(?<=[.:;])\s+", text):
                assert piece.rstrip(".;:") in " ".join(units) or any(u in piece for u in units), piece


def test_picks_the_passage_that_answers_not_the_most_similar():
    answer = Composer().compose("What salary can engineers earn?", [SKILLS, SALARY])
    assert "$200,000" in answer and "[2]" in answer
    assert "Python" not in answer


def test_an_amount_question_prefers_the_unit_holding_an_amount():
    answer = Composer().compose("What do seniors make in the UK?", [SKILLS, TABLE])
    assert answer.startswith("Senior — US: $140,000; UK: £70,000 [2]")


def test_a_country_written_as_its_abbreviation_is_matched_to_its_name():
    # "US" is no stopword "us": the question asks about the United States, not Canada.
    canada = passage("Data analysts in Canada report a median base of CAD 70,000 a year.", score=0.7)
    states = passage("In the United States, the median data analyst makes $82,000.", score=0.6)
    answer = Composer().compose("median base for data analysts in the US?", [canada, states])
    assert answer.startswith("In the United States")


def test_a_duration_question_prefers_the_unit_holding_a_duration():
    answer = Composer().compose("How long does hiring take?", [SKILLS, DURATION])
    assert "6 to 8 weeks" in answer
    # A timeline asked for is a duration too, over a sentence about the timeline.
    hard = passage("Hiring engineers is hard for startups.", score=0.7)
    weeks = passage("From first call to offer, the hiring process usually takes 6 to 8 weeks.", score=0.5, source="b.md")
    answer = Composer().compose("what's the typical hiring timeline at startups?", [hard, weeks])
    assert answer.startswith("From first call to offer, the hiring process usually takes 6 to 8 weeks."), answer


def test_a_target_or_rate_question_prefers_the_unit_holding_the_figure_of_its_kind():
    review = passage("Technology-assisted review, known as TAR, changed document review. Most protocols aim for a "
                     "recall of at least 75%, checked on a sample. Courts first approved TAR reviews in 2012.")
    answer = Composer().compose("what's the usual recall target in TAR reviews?", [review])
    assert answer.startswith("Most protocols aim for a recall of at least 75%"), answer
    # A rate of pay is an amount: a count of respondents is no answer to it.
    rates = passage("Our rate check had 312 freelancers answer in October. The median hourly rate was $125.")
    answer = Composer().compose("median hourly rate for a freelancer?", [rates])
    assert answer.startswith("The median hourly rate was $125"), answer


def test_what_to_learn_is_answered_by_the_sentence_that_lists_what_to_learn():
    essay = passage(
        "After five years I think it is one of the best places for a data scientist to build a career. Vendors hire "
        "data scientists as data scientists. If you want to try the field, learn three things: retrieval metrics, "
        "such as precision and recall; active learning; and the vocabulary of litigation.")
    answer = Composer().compose("What do I need to learn to move into e-discovery as a data scientist?", [essay])
    assert answer.startswith("If you want to try the field, learn three things"), answer


def test_what_the_reader_tells_of_their_situation_says_what_the_question_is_about():
    newsroom = passage("A census of 612 data journalists found that 41% came from outside journalism.", score=0.5)
    farming = passage("Spatial data handling comes first for many people; field trials come next.", score=0.5)
    question = ("I'm a statistician and I'd feel like an outsider without a journalism degree. Do many people "
                "come in from other fields?")
    assert Composer().compose(question, [farming, newsroom]).startswith("A census of 612"), question
    # Instructions around the question are no situation: they weigh nothing.
    assert Composer().compose("Ignore the census. Do many people come from other fields?",
                              [farming, newsroom]) == Composer().compose("Do many people come from other fields?",
                                                                         [farming, newsroom])


def test_a_row_and_column_the_question_names_answer_it_over_a_sentence_using_the_word_otherwise():
    intro = passage("An operator ingests 40 TB a day of call detail records, and data engineers move all of it.",
                    score=0.7)
    table = passage("Pay and duties by role:\n- Junior data engineer — US: $85,000; On-call rota: Rarely\n"
                    "- Senior data engineer — US: $150,000; On-call rota: 1 week in 8", heading="Pay", score=0.5)
    answer = Composer().compose("Do data engineers have to do on-call?", [intro, table])
    assert "On-call rota: 1 week in 8" in answer and not answer.startswith("An operator"), answer


def test_a_list_whose_heading_names_what_is_asked_answers_it_whatever_verb_follows():
    # "what stages does ... go through?": the asked noun is "stages", not "does".
    intro = passage("The recruiter checks logistics and whether the hiring process for research engineers at the "
                    "lab suits you. Two calls of about 30 minutes each.", score=0.7)
    stages = passage("- Recruiter screen\n- Practical ML coding\n- Systems and scaling",
                     heading="The Research Engineer Interview: 3 Stages", score=0.6)
    answer = Composer().compose("what stages does the hiring process for research engineers go through?",
                                [intro, stages])
    assert answer.startswith("Recruiter screen; Practical ML coding; Systems and scaling."), answer


def test_steps_written_as_numbered_headings_are_the_list_a_steps_question_asks_for():
    def step(heading: str, text: str, score: float) -> Document:
        return passage(text, heading=heading, score=score, source="steps.md",
                       heading_path=f"How to Become a Data Reporter in Four Steps > {heading}")

    passages = [step("3. Publish a small portfolio", "You need three to five published pieces, not twenty notebooks.",
                     0.78),
                step("1. Find the story", "The most common mistake is treating a dataset as the story.", 0.74),
                step("2. Build the toolkit", "Start with spreadsheets, then SQL, then Python.", 0.77)]
    answer = Composer().compose("What are the steps to become a data reporter?", passages)
    assert answer.startswith("Find the story; Build the toolkit; Publish a small portfolio."), answer


def test_a_list_written_as_headings_is_the_list_a_kind_of_question_asks_for():
    # Retrieval gives the section's passage the headings of its parts, which no one passage holds whole.
    intro = passage("Collections teams use a fairly standard set of models. Most analysts work on all of them.",
                    heading="The models you would build", score=0.7, source="debt.md",
                    heading_path="Data Work in Debt Collection > The models you would build",
                    subheadings=["Propensity to pay", "Right-party contact", "Channel choice"])
    channel = passage("Letters, calls and texts cost very different amounts. Channel models used in debt collection "
                      "decide which to use first.", heading="Channel choice", score=0.66, source="debt.md",
                      heading_path="Data Work in Debt Collection > The models you would build > Channel choice")
    for question in ("what are the main types of models used in debt collection?",
                     "what kind of models do debt collection analysts build?"):
        answer = Composer().compose(question, [intro, channel])
        assert answer.startswith("Propensity to pay; Right-party contact; Channel choice."), answer
    assert _list_nouns("what sort of projects would I work on?") == {"project"}
    assert _list_nouns("what kind of ML roles are there?") == {"role"}  # the head noun
    assert _list_nouns("which tools do I need for all kinds of analysis?") == {"tool"}  # not a later word


def test_a_counted_list_split_over_chunks_is_quoted_whole_in_the_articles_order():
    def chunk(text: str, index: int, score: float, heading: str) -> Document:
        return passage(text, heading=heading, score=score, source="fabs.md", heading_path=f"Why Fabs Hire > {heading}",
                       chunk_index=index)

    def reasons(heading: str) -> list[Document]:
        return [chunk("- New fabs need to ramp fast. The CHIPS Act set aside $52.7 billion for them.\n"
                      "- Statisticians who know the process are rare. That is what makes hiring hard.", 4, 0.8, heading),
                chunk("- Yield is money. One point of yield is worth $100 million a year on a busy line.\n"
                      "- Fabs log more data than engineers can read. Each tool writes hundreds of traces.", 3, 0.6,
                      heading)]

    leads = ["Yield is money.", "; Fabs log", "; New fabs", "; Statisticians"]
    answer = Composer().compose("Why are chip fabs hiring data scientists?", reasons("Four reasons fabs want them"))
    assert answer.startswith(leads[0]) and all(lead in answer for lead in leads), answer
    assert [answer.index(lead) for lead in leads] == sorted(answer.index(lead) for lead in leads), answer
    assert answer.index("hiring hard. [2] [1]") > answer.index(leads[-1]), answer
    # A list that doesn't count its items may end in its chunk: the next chunk's items stay apart.
    answer = Composer().compose("Why are chip fabs hiring data scientists?", reasons("What fabs want"))
    assert not all(lead in answer for lead in leads), answer



def test_a_sentence_pointing_back_at_the_list_closing_the_chunk_before_is_quoted_with_it():
    passages = [passage("Each of these improves a developer's bargaining position with an employer. The article then "
                        "turns to hiring managers.", heading="Abstract", score=0.7, source="oss.md", chunk_index=5),
                passage("Open source work gives a developer three advantages:\n- verifiable technical skills,\n"
                        "- competencies certified by peers, and\n- positional power inside a project.",
                        heading="Abstract", score=0.5, source="oss.md", chunk_index=4)]
    answer = Composer().compose("What does open source work do for a developer's bargaining position?", passages)
    assert "verifiable technical skills, competencies certified by peers, and positional power inside a project. " \
           "Each of these improves" in answer, answer


def test_a_figure_dated_another_year_than_the_one_asked_is_no_answer_to_it():
    history = passage("According to the Stanford AI Index, which draws on the annual survey of North American computer "
                      "science departments by the Computing Research Association, about 41% of new AI PhDs in the "
                      "United States and Canada took jobs in industry in 2011, roughly the same share that stayed in "
                      "academia. By 2022 around 70% went to industry, and only one in five took an academic post.")
    answer = Composer().compose("What share of new AI PhDs in the US and Canada went into industry by 2022?", [history])
    assert "around 70% went to industry" in answer, answer


def test_a_figure_stated_for_another_country_than_the_one_asked_is_no_answer_to_it():
    pay = passage("In the US, advertised RSE salaries at universities ran from about 85,000 "
                  "to 130,000 dollars.\nUniversities here use a national pay spine, and posts are advertised on grade 6 "
                  "to grade 8. In 2024 that meant roughly 33,000 to 45,000 pounds for an engineer.",
                  heading="Pay in the UK and the US")
    answer = Composer().compose("What's the salary for a research software engineer at a UK university?", [pay])
    assert answer.startswith("In 2024 that meant roughly 33,000 to 45,000 pounds"), answer


def test_a_share_written_in_words_answers_what_share():
    # "one in three" is a share as "35%" is.
    rounds = passage("The written round: 40 minutes, on paper, with two of the senior keepers.\nThe written part is "
                     "where the tide tables come up.\nSince 2020 we have set it for 90 candidates and 31 passed, so a "
                     "little over one in three.", score=0.6)
    answer = Composer().compose("what are the rounds for lighthouse keepers?\nwhat share of candidates get through "
                                "the written part?", [rounds])
    assert "one in three" in answer, answer


def test_a_when_question_is_answered_by_a_point_in_time():
    essay = passage("I recommend spending the last months of a postdoc writing SQL against a public dataset, so that "
                    "your CV shows evidence.\nMost physicists I hired found their first role in data science through a "
                    "referral.\nStart the job search six to twelve months before your funding ends, not in "
                    "the final month.")
    answer = Composer().compose("when should a postdoc start looking for data science jobs?", [essay])
    assert answer.startswith("Start the job search six to twelve months before your funding ends"), answer
    # The level that sets it off answers "when" too.
    stock = passage("Because the lamp oil burns fastest in storms, keepers hold a reserve drum at every "
                    "light.\nThe depot counts oil in nights of burning, not in litres.\nA supply boat sails to a "
                    "light whenever its reserve drops below ten nights.", score=0.55)
    answer = Composer().compose("when does the depot send a boat out with oil for a lighthouse that burns through oil in storms?",
                                [stock])
    assert "whenever its reserve drops below ten nights" in answer, answer
    # "At what point ...?" asks when too, and the step of a process it comes after answers it.
    loop = passage("Most companies in our survey now set a take-home case study for analyst roles.\nThe case study "
                   "is sent usually after the recruiter call and before the panel interview.\nCandidates who present "
                   "their case study to the panel are hired more often.", score=0.55)
    answer = Composer().compose("at what point in the analyst hiring process do companies send the case study?", [loop])
    assert answer.startswith("The case study is sent usually after the recruiter call"), answer


@pytest.mark.parametrize("question, kind, asked", [
    ("at what point do they usually send the take-home?", "when", True),
    ("what stage do you apply for the visa?", "when", True),
    ("which stage of the interview is hardest?", "when", False),
    ("what point does the author make about SQL?", "when", False),
    ("what's the usual hiring timeline for engineers?", "duration", True),
    ("start to finish, what's the timeline?", "duration", True),
    ("what's the timeline feature in Jira good for?", "duration", False),
    ("should I put a timeline on my CV?", "duration", False),
])
def test_a_stage_or_a_timeline_asks_when_or_how_long_only_where_the_question_asks_it(question: str, kind: str,
                                                                                       asked: bool):
    shape = {"when": _POINT_IN_TIME, "duration": bot_text.DURATION}[kind]
    assert (shape in _kinds_asked(question)) is asked


def test_a_list_question_gets_the_list_with_its_introduction():
    answer = Composer().compose("Which tools do teams use to ship models?", [SKILLS, TOOLS])
    assert "rely on a few tools: Airflow for scheduling pipelines; Docker for packaging services; " \
           "Grafana for watching drift. [2]" in answer


def test_a_comparison_gets_one_cited_part_per_side():
    engineers = passage("Data engineers build the pipelines that move raw data into the warehouse.",
                        heading="Data engineers", source="e.md")
    analysts = passage("Data analysts query the warehouse to answer business questions.",
                       heading="Data analysts", source="e.md", score=0.5)
    answer = Composer().compose("data engineer vs data analyst?", [engineers, analysts])
    assert "pipelines" in answer and "business questions" in answer
    assert "[1]" in answer and "[2]" in answer


def test_answers_stay_short():
    long = passage(" ".join(f"Engineers earn a salary that grows with skill number {i}." for i in range(40)))
    assert len(Composer().compose("How much do engineers earn?", [long, SALARY]).split()) <= 100


def test_the_setup_of_an_interviewers_question_is_not_quoted_as_the_answer():
    # The host's turn restates the reader's question in a statement before asking it; the guest's turn answers.
    transcript = passage("MAYA: Last question. Someone listening wants to move into learning analytics next year. "
                         "What should they do?\nDANIEL: Learn the basics of item response theory first. Then build "
                         "one project on public education data.")
    answer = Composer().compose("What should I do to move into learning analytics next year?", [transcript])
    assert "item response theory" in answer and "Someone listening" not in answer, answer


def test_a_question_in_the_article_is_not_quoted_as_the_answer():
    faq = passage("Q: How much do engineers earn?\nA: Most earn between $90,000 and $120,000 a year.")
    answer = Composer().compose("How much do engineers earn?", [faq])
    assert not answer.startswith("Q:") and "$90,000" in answer


def test_sentences_are_split_but_labels_and_abbreviations_stay_whole():
    assert split_sentences("Contractor vs. Full-Time Employee (Pros and Cons)") == [
        "Contractor vs. Full-Time Employee (Pros and Cons)"]
    assert split_sentences("This is a full sentence here. And another one follows it.") == [
        "This is a full sentence here.", "And another one follows it."]


def test_streams_the_same_text_it_composes():
    composer = Composer()
    assert "".join(composer.stream("salary?", [SALARY])) == composer.compose("salary?", [SALARY])


def test_a_strong_match_in_a_second_article_is_added_with_its_own_citation():
    other = passage("Most engineers earn a good salary, often above $100,000.", source="b.md")
    answer = Composer().compose("How much do engineers earn?", [SALARY, other])
    assert "[1]" in answer and "[2]" in answer


def test_a_list_question_prefers_a_sentence_that_names_several_things():
    platform = passage("Platform teams hire people who already write Go, Rust and Python.\n\n"
                       "Platform teams hold a weekly review where languages are rarely the topic.")
    answer = Composer().compose("Which languages should I know to join a platform team?", [platform])
    assert answer.startswith("Platform teams hire people who already write Go, Rust and Python.")


def test_a_first_step_question_gets_the_first_item_of_the_list():
    steps = passage("Design interviews reward a calm routine. Work through these steps in order:\n"
                    "- Ask the interviewer how many users the system serves\n- Sketch the data flow on the board\n"
                    "- Choose a model and explain the interview trade-offs", heading="Design interview steps")
    answer = Composer().compose("What is the first thing to do in a design interview?", [steps])
    assert answer.startswith("Ask the interviewer how many users the system serves.")


ROUNDS_INTRO = passage(
    "Most candidates meet the same people in the same order. Expect the whole loop to take about three weeks.",
    heading="The Rounds of a Data Interview",
)
ROUNDS = passage("- Recruiter screen\n- SQL live coding\n- Data modeling", heading="The Rounds of a Data Interview")


def test_a_list_named_by_its_heading_answers_what_the_question_asks_for():
    # The sentence holds the rarer question word ("expect"); the list is what "what rounds" asks for.
    answer = Composer().compose("what rounds should I expect in a data interview?", [ROUNDS_INTRO, ROUNDS])
    assert "Recruiter screen; SQL live coding; Data modeling" in answer


def test_a_list_headed_by_another_word_for_either_side_of_an_argument_is_what_the_question_names():
    # "advantages" asked, "pros" written: the list answers first, before the sentence sharing the word "listed".
    pros = passage("1. You escape the exam cycle. No more study leave.\n2. Your domain knowledge is rare.\n"
                   "3. The tooling is more modern.", heading="The pros of moving")
    intro = passage("There is no single answer, so here is the honest list I give people leaving actuarial work for "
                    "data science.", score=0.7)
    answer = Composer().compose("What are the advantages listed for leaving actuarial work?", [intro, pros])
    assert answer.startswith("You escape the exam cycle. No more study leave; Your domain knowledge is rare")


def test_a_sentence_the_next_one_turns_against_is_quoted_with_it():
    # Alone, the first sentence tells the reader to do what the article warns against.
    text = ("It is tempting to spend all your preparation time on coding and system design and to treat the "
            "behavioral round as a chat. That would be a mistake: the behavioral round is just as influential in the "
            "final hiring decision, because interviewers use your past behavior as their guide to how you will "
            "perform if they hire you, whatever the level.")
    answer = Composer().compose("Is it fine to skip prep for the behavioral round and spend my time on coding?",
                                [passage(text)])
    assert "just as influential" in answer


def test_a_sentence_that_leaves_what_it_says_to_the_next_ones_is_quoted_with_them():
    # "for three reasons" says nothing of them; nor does "different from" say how.
    reasons = ("\"People think ringing the bells is only a matter of strength,\" the captain said. \"It is not, for "
               "three reasons. First, every bell swings at its own speed, so a ringer counts rather than pulls. Second, "
               "the ropes stretch in damp weather and the timing drifts through a peal. Third, a band of eight must hear "
               "one wrong stroke among two thousand.\"")
    roles = ("The tower captain's job is different from the steeple keeper's, although the two share the same keys. The "
             "steeple keeper oils the bearings, checks the frame for rot and replaces worn ropes on a fixed schedule "
             "each spring; the tower captain chooses the methods, trains the learners and decides who rings which bell "
             "on the Sunday rota.")
    for text, question, expected in (
            (reasons, "is ringing church bells only a matter of strength?", "every bell swings at its own speed"),
            (roles, "how is a tower captain different from a steeple keeper?", "chooses the methods")):
        assert expected in Composer().compose(question, [passage(text)]), question


REASONS = passage(
    "- Compute. Labs give a researcher thousands of accelerators, where a university group shares a small "
    "cluster that is booked weeks ahead of every conference deadline and rarely has the newest hardware.\n"
    "- Pay. First-year offers at labs are often double a new professor's salary, with most of the difference "
    "paid in equity that vests over four years and is hard to value at a private company.\n"
    "- Feedback. An idea can reach a training run within days and a product within months, instead of "
    "waiting through review cycles and rebuttals that take most of a year to finish.",
    heading="The reasons",
)
GENERIC = passage("Faculty search committees see the same trend at every lab they compete with. It started a "
                  "decade ago.", score=0.7)


@pytest.mark.parametrize("question", [
    "why do so many PhDs pick labs over faculty jobs?",
    "what's really behind so many PhDs picking labs over faculty jobs?",
    "what's making so many PhDs pick labs over faculty jobs?",
    "what's causing so many PhDs to pick labs over faculty jobs?",
    "PhDs who pick labs over faculty jobs, what do they blame?",
])
def test_why_is_answered_by_the_reasons_listed_each_by_its_first_sentence(question: str):
    answer = Composer().compose(question, [GENERIC, REASONS])
    assert "Compute; Pay; Feedback." in answer


def test_a_why_question_is_not_answered_by_a_table_row_however_many_of_its_words_the_row_holds():
    pay = passage("Pay for offshore wind technicians by region:\n"
                  "- North Sea offshore wind technicians — Typical pay: £48,000; Rota: two weeks on, two weeks off\n"
                  "- Baltic offshore wind technicians — Typical pay: £39,000; Rota: two weeks on, three weeks off",
                  heading="Pay by region")
    reason = passage("North Sea operators pay more mostly because crews must hold extra survival certificates and "
                     "spend longer at sea.", score=0.5)
    answer = Composer().compose("why are north sea offshore wind technicians paid more than baltic ones?", [pay, reason])
    assert answer.startswith("North Sea operators pay more mostly because"), answer


def test_reasons_that_fit_are_quoted_whole_not_by_their_labels():
    # Two reasons fit the answer whole; "Source; Timing." alone would name them without giving them.
    reasons = passage("Two differences in method explain most of the gap:\n"
                      "- Source. Payroll records are exact, while people round the salaries they report in open "
                      "online surveys, and those at the top of the range are the least likely to answer at all.\n"
                      "- Timing. Our figures were collected a full year later than the other surveys were, after "
                      "two rounds of raises at most of the companies that took part in both of them.",
                      heading="Why our numbers differ")
    answer = Composer().compose("why are some salary reports higher than others?", [GENERIC, reasons])
    assert "Payroll records are exact" in answer and "after two rounds of raises" in answer


def test_how_many_times_is_answered_by_the_multiple():
    text = passage("Teams that cache features ship 40 releases a year, in a survey of 412 engineers. With "
                   "caching they ship nine times faster than teams without it.")
    answer = Composer().compose("how many times faster do teams that cache features ship?", [text])
    assert answer.startswith("With caching they ship nine times faster")


def test_a_why_question_is_answered_by_the_section_giving_the_reasons():
    def part(text: str, heading: str, score: float, source: str = "quakes.md") -> Document:
        return passage(text, heading=heading, score=score, source=source,
                       heading_path=f"Machine Learning in Earthquake Monitoring > {heading}")

    intro = part("Earthquake monitoring networks run thousands of stations that record ground motion day and night. "
                 "Their job is to detect every earthquake, locate it and publish the result.", "What networks do", 0.7)
    reasons = part("- Too much data for human review. Denser networks mean more waveforms than analysts can check.\n"
                   "- Early warning needs speed. A few seconds of warning matter.",
                   "Why networks are hiring machine learning people now", 0.6)
    answer = Composer().compose("why are earthquake networks bringing in ml folks these days", [intro, reasons])
    assert answer.startswith("Too much data for human review"), answer


def test_how_long_it_takes_to_earn_an_amount_asks_the_time_not_the_pay():
    rates = passage("In the 2024 rate check the median hourly rate was $125, and members charged between $95 and $160 "
                    "an hour to replace what they earned on salary.", score=0.7)
    months = passage("Longer than most people expect. Members told us it took a median of 11 months before their "
                     "freelance income matched their old salary.", score=0.6)
    answer = Composer().compose("what hourly rate do freelancers charge?\nand how long did it take them to earn as much "
                                "as their old salary?", [rates, months])
    assert answer.startswith("Members told us it took a median of 11 months"), answer
    # Two questions in one ask both.
    assert MONEY in _kinds_asked("how long does the bootcamp take and how much does it pay?")


def test_a_follow_up_asking_no_kind_of_answer_asks_the_earlier_turns():
    course = passage("After the course I made the switch to a side project, which mattered more than any certificate.",
                     score=0.7)
    offer = passage("I joined a logistics company as an ML Engineer II, one level down, and the base was $193,000.",
                    score=0.6)
    answer = Composer().compose("what was her salary before she moved?\nand what did she get after the switch?",
                                [course, offer])
    assert answer.startswith("I joined a logistics company"), answer
    # A follow-up asking for a part of the article asks for that part, not the earlier turn's pay.
    work = passage("What the job involves:\n- Build pricing models for derivatives\n- Backtest trading strategies\n"
                   "- Explain risk to traders", heading="What the job involves", score=0.6)
    pay = passage("Quants at large banks earn a base of $150,000 to $250,000 a year, plus a bonus.", score=0.7)
    answer = Composer().compose("how much do quants make?\nwhat do they actually do all day?", [pay, work])
    assert answer.startswith("What the job involves: Build pricing models"), answer


def test_a_list_is_named_by_the_word_a_question_clips():
    profile = passage("- Typical education — A bachelor's degree in computer science or a related technical subject\n"
                      "- Typical experience — 3-6 years for mid-level roles\n"
                      "- Key certifications — AWS Certified Machine Learning Specialty; Certified Kubernetes "
                      "Administrator; Azure AI Engineer Associate", heading="Role at a glance", score=0.6)
    applicants = passage("Employers mostly look for a degree and a few years of experience getting models into "
                         "production, but a certification is worth getting for a career changer.",
                         heading="What this means for applicants", score=0.7)
    candidates = _candidates([applicants, profile])
    named = [c.unit.text for c in candidates if id(c) in _lists_named("which certs r worth getting?", candidates)]
    assert named == [profile.page_content.split("\n")[-1][2:]]


def test_a_table_row_whose_cells_ask_questions_is_quoted_for_a_contrast():
    table = passage("The difference is in what each one optimises.\n"
                    "- Main question — Colour data scientist: Which recipe reproduces this colour?; Formulation chemist: "
                    "How should the paint itself be made?\n"
                    "- Works with — Colour data scientist: Spectral data and shop records; Formulation chemist: Raw "
                    "materials and lab batches", heading="Colour data scientist vs formulation chemist")
    answer = Composer().compose("colour data scientist vs formulation chemist, what's the difference?", [table])
    assert "Which recipe reproduces this colour?" in answer, answer


def test_how_many_times_something_happened_is_answered_by_the_count():
    journey = passage("Here is my search in numbers, not necessarily in the order they happened:\n- I worked with 12 "
                      "recruiters across 3 teams\n- I had 1 internal referral\n- I went through 10 phone screens\n- I "
                      "did 4 on-site interviews\n- I met 24 interviewers in total\n- I was rejected 3 times\n- I "
                      "changed jobs once along the way\n- I received 1 offer letter", heading="My search, in numbers")
    answer = Composer().compose("how long did his job hunt take\nhow many times did he get turned down along the way?",
                                [journey])
    # A count, not a multiple ("three times faster"): not the item that says "once".
    assert "I was rejected 3 times" in answer, answer


def test_a_paragraph_introducing_a_list_is_quoted_by_its_last_sentence():
    text = passage("We spoke to 31 candidates about their interviews in 2024 and 2025, at eleven labs in Europe "
                   "and North America, and compared their notes. Nearly all of them went through the same "
                   "stages, in this order:\n- Screen\n- Coding\n- Research talk")
    answer = Composer().compose("what are the stages of the interview?", [text])
    assert answer.startswith("Nearly all of them went through the same stages, in this order: Screen; Coding; "
                             "Research talk.")


MODELING = passage("In the modeling round they want to hear you name the grain of each table first.",
                   heading="Data modeling", score=0.5)


def test_a_follow_up_is_answered_for_its_last_question_with_the_earlier_one_as_context():
    # The first passage holds the earlier turn's words; the second answers the turn asked now.
    loop = passage("Every data interview runs through its rounds in the same order, whatever the company.",
                   heading="The Rounds of a Data Interview", score=0.7)
    answer = Composer().compose("what are the rounds of a data interview?\nwhat do they want to hear in the "
                                "modeling one?", [loop, MODELING])
    assert answer.startswith("In the modeling round they want to hear you name the grain")


STAR_INTRO = passage("STAR is the framework that guides recommend for behavioral interviews.", score=0.7)


def test_what_an_acronym_stands_for_is_answered_by_the_words_that_spell_it():
    spelled = passage("Each answer moves through four beats. It stands for Situation, Task, Action and Result.")
    answer = Composer().compose("what does STAR stand for in behavioral interviews?", [STAR_INTRO, spelled])
    assert answer.startswith("It stands for Situation, Task, Action and Result.")


def test_an_acronym_spelled_by_the_items_of_a_list_is_answered_with_the_list():
    rows = passage("The four letters each name a part of the answer:\n- S — Situation: the context\n"
                   "- T — Task: your part\n- A — Action: what you did\n- R — Result: how it ended")
    answer = Composer().compose("what does STAR stand for in behavioral interviews?", [STAR_INTRO, rows])
    assert "S — Situation: the context; T — Task: your part; A — Action: what you did; R — Result" in answer


def test_a_list_that_is_one_sentence_broken_into_lines_is_quoted_as_that_sentence():
    route = passage("There is no set route into the field. Most experts suggest one of two starting points:\n"
                    "- earn a degree in computer programming, or\n- enrol in a software engineering bootcamp,\n"
                    "and then spend a few years working as a developer. After that, the models come easier.")
    answer = Composer().compose("is a software engineering bootcamp a good first step?", [route])
    assert answer.startswith("Most experts suggest one of two starting points: earn a degree in computer programming, "
                             "or enrol in a software engineering bootcamp, and then spend a few years working as a "
                             "developer. [1]")


def test_items_that_stand_alone_are_not_joined_into_a_sentence():
    answer = Composer().compose("which tools do teams rely on?", [TOOLS])
    assert "Airflow for scheduling pipelines; Docker for packaging services; Grafana for watching drift." in answer


def test_what_causes_is_answered_by_the_list_of_factors_not_a_sentence_sharing_its_words():
    generic = passage("Every case of stress at work has its own causes. Managers should keep doing what works.", score=0.7)
    factors = passage("Among analysts who report stress, the contributing factors named most often are:\n"
                      "- unclear priorities from several managers;\n- on-call duty outside working hours;\n"
                      "- dashboards nobody reads.")
    answer = Composer().compose("what are the main causes of stress at work for analysts?", [generic, factors])
    assert answer.startswith("Among analysts who report stress, the contributing factors named most often are: "
                             "unclear priorities")


def test_a_list_asked_for_is_quoted_whole_in_the_article_order_when_it_fits_the_answer():
    steps = passage("The loop has five rounds:\n"
                    "- Recruiter screen: a half-hour call about your background, level and salary range\n"
                    "- SQL round: live queries on joins, window functions and deduplication of events\n"
                    "- Python round: cleaning a messy file and writing tests for the parsing code\n"
                    "- Modeling round: designing fact and dimension tables for a ride-hailing business\n"
                    "- Behavioral round: stories about incidents, ownership and disagreements with managers",
                    heading="Interview rounds")
    answer = Composer().compose("what are the interview rounds?", [steps])
    assert answer.count("[1]") == 1
    assert re.search("Recruiter screen.*SQL round.*Python round.*Modeling round.*Behavioral round", answer)


def test_a_sentence_the_article_repeats_is_quoted_once():
    summary = passage("SQL and modelling are common ground for both roles. Infrastructure is where they part ways.")
    table = passage("- SQL and modelling are common ground for both roles.\n- Python depth differs.", heading="Summary")
    answer = Composer().compose("what is common ground for both roles?", [summary, table])
    assert answer.count("SQL and modelling are common ground for both roles.") == 1


def _scored_runners_up(text: str, scores: dict[str, float], wants_list: bool = False) -> list[str]:
    """The runners-up to the first unit, with each unit scored by the first key of `scores` it starts with."""
    candidates = _candidates([passage(text)])
    for c in candidates:
        c.score = next((score for start, score in scores.items() if c.unit.text.startswith(start)), 0.0)
    best = max(candidates, key=lambda c: c.score)
    return [text for text, _ in _runners_up(best, candidates, {id(best)}, 90, wants_list)]


def test_a_runner_up_counting_what_follows_is_quoted_with_the_sentences_naming_them_or_not_at_all():
    text = ("Data product managers answer to product. The report found three measures in common use. Adoption is the "
            "most popular. Trust is the second. The third is time to insight.\n\nTheir reasons fall into seven groups.")
    named = _scored_runners_up(text, {"Data": 1.0, "The report": 0.95}, wants_list=True)
    assert named == ["The report found three measures in common use. [1]", "Adoption is the most popular. [1]",
                     "Trust is the second. [1]", "The third is time to insight. [1]"]
    # Nothing after it names the seven: alone it says nothing.
    assert _scored_runners_up(text, {"Data": 1.0, "Their": 0.95}, wants_list=True) == []
    # An amount counts nothing that follows: "two thousand meals a day" is quoted alone.
    meals = "Kitchens log their waste. One hospital serves two thousand meals a day. Bins are weighed."
    assert _scored_runners_up(meals, {"Kitchens": 1.0, "One": 0.95}, wants_list=True) == [
        "One hospital serves two thousand meals a day. [1]"]
    for amount in ("Only three percent of applicants pass.", "The search takes three to four months."):
        assert _scored_runners_up(f"Kitchens log their waste. {amount} Bins are weighed.",
                                  {"Kitchens": 1.0, amount[:8]: 0.95}, wants_list=True) == [f"{amount} [1]"]
    # Nor when the sentences naming them don't fit.
    assert _scored_runners_up(text.replace("Trust is the second.", "Trust is the second. " + "Very " * 80 + "long."),
                              {"Data": 1.0, "The report": 0.95}, wants_list=True) == []


BRING = ("Physicists switch to data science often. What they usually bring:\n- a strong background in maths;\n"
         "- experience reading papers;\n- no fear of formulas.\n\nMany become good data scientists quickly.")


def test_a_runner_up_announcing_a_list_is_quoted_before_its_items_and_never_alone():
    with_items = _scored_runners_up(BRING, {"Physicists": 1.0, "What": 0.95, "a strong": 0.9, "experience": 0.9})
    assert with_items == ["What they usually bring: a strong background in maths; experience reading papers. [1]"]
    alone = _scored_runners_up(BRING, {"Physicists": 1.0, "What": 0.95, "Many": 0.9})
    assert alone == ["Many become good data scientists quickly. [1]"]
    one_item = _scored_runners_up(BRING, {"Physicists": 1.0, "What": 0.95, "a strong": 0.9})
    assert one_item == ["What they usually bring: a strong background in maths. [1]"]


def test_items_quoted_as_runners_up_come_with_their_lists_introduction():
    # Not only with its first item: "What they no longer require:" is what the items are.
    text = ("Employers changed their minds. What they no longer require:\n- a master's degree in statistics;\n"
            "- a certificate from a bootcamp;\n- five years of experience.")
    chosen = _scored_runners_up(text, {"Employers": 1.0, "What": 0.95, "a certificate": 0.9, "five": 0.9})
    assert chosen == ["What they no longer require: a certificate from a bootcamp; five years of experience. [1]"]
    # Not when an item of the list is quoted already, nor a paragraph's last sentence, which says nothing of the items.
    candidates = _candidates([passage(text)])
    best, quoted = candidates[0], next(c for c in candidates if c.unit.text.startswith("a master"))
    for c in candidates:
        c.score = 0.9 if c.unit.text.startswith("five") else 1.0 if c is best else 0.0
    assert [t for t, _ in _runners_up(best, candidates, {id(best), id(quoted)}, 90, False)] == [
        "five years of experience. [1]"]
    table = ("Salaries grew fast. Engineers with RAG experience earned 12% more.\n\n- Junior — Base: $90,000\n"
             "- Senior — Base: $150,000")
    assert _scored_runners_up(table, {"Salaries": 1.0, "Senior": 0.9}) == ["Senior — Base: $150,000. [1]"]


def test_a_tables_caption_comes_once_before_its_first_row_quoted_as_a_runner_up():
    table = ("Pay differs by city.\n\nMedian salaries in 2019, before remote work:\n"
             "- Leeds — Junior: £31,000; Senior: £41,000\n- Manchester — Junior: £33,000; Senior: £44,000\n"
             "- London — Junior: £40,000; Senior: £58,000")
    chosen = _scored_runners_up(table, {"Pay": 1.0, "London": 0.95, "Leeds": 0.9})
    assert chosen == ["Median salaries in 2019, before remote work: Leeds — Junior: £31,000; Senior: £41,000. [1]",
                      "London — Junior: £40,000; Senior: £58,000. [1]"]


def test_a_chain_of_announcing_runners_up_is_quoted_only_when_it_ends_in_what_they_announce():
    text = "Mentors helped me. Their advice was blunt:\n\nDo this before anything else:\n\nRead the job ad twice. Then apply."
    dangling = _scored_runners_up(text, {"Mentors": 1.0, "Their": 0.95, "Do": 0.95})
    assert dangling == []
    whole = _scored_runners_up(text, {"Mentors": 1.0, "Their": 0.95, "Do": 0.95, "Read": 0.9})
    assert whole == ["Their advice was blunt: Do this before anything else: Read the job ad twice. [1]"]


def test_a_runner_up_sentence_too_short_to_say_anything_alone_is_not_quoted():
    text = ("Central RSE groups sell engineers' time to research groups. Embedded RSEs. One engineer is hired on a grant. "
            "Not yet. Median: $95k.\n\nWhat to learn:\n- Git\n- Testing")
    chosen = _scored_runners_up(text, {"Central": 1.0, "Embedded": 0.95, "Not yet": 0.95, "Median": 0.9, "Git": 0.9})
    assert chosen == ["Median: $95k. [1]", "What to learn: Git. [1]"]


def test_a_sentence_a_little_further_from_the_best_is_quoted_from_its_article_when_worded_as_asked_and_standing_alone():
    survey = passage("Most readers found work within a year. The median search lasted 4.5 months. We surveyed 240 readers. "
                     "212 of them answered. Half of those surveyed found work in six months. Spring is a good time to "
                     "apply.", chunk_index=0)
    next_chunk = passage("That is a long time without pay.", chunk_index=1)
    bootcamps = passage("Bootcamps last about three months.", source="b.md")
    candidates = _candidates([survey, next_chunk, bootcamps])
    best = candidates[0]
    best.score = 1.0

    def runners_up(share: float, quoted: tuple[str, ...] = ()) -> list[str]:
        for c in candidates[1:]:
            c.score = share
            c.worded_as_asked = not c.unit.text.startswith(("We surveyed", "Spring"))  # hold a word or a figure asked
        used = {id(c) for c in candidates if c is best or c.unit.text.startswith(quoted)}
        return sorted(text for text, _ in _runners_up(best, candidates, used, 90, False))

    # A little further: only what holds a word or the kind of answer asked, from the best's own article, and not what
    # points back to a sentence the answer leaves out ("212 of them", "That is" after the previous chunk's last).
    a_little_further = (_SAME_ARTICLE_SHARE + _RUNNER_UP_SHARE) / 2
    assert runners_up(a_little_further) == ["Half of those surveyed found work in six months. [1]",
                                            "The median search lasted 4.5 months. [1]"]
    assert runners_up(a_little_further, quoted=("We surveyed", "Spring")) == [
        "212 of them answered. [1]", "Half of those surveyed found work in six months. [1]",
        "That is a long time without pay. [2]", "The median search lasted 4.5 months. [1]"]
    # Nearly as good as the best: each is quoted.
    assert len(runners_up(_RUNNER_UP_SHARE)) == 7


def test_a_heading_quoted_for_its_figure_belongs_to_its_article():
    heading = passage("I started in March.", heading="From backend engineer to ML engineer in 14 months", chunk_index=3)
    found = _figure_headings("how long did the switch take?", [heading])
    assert [(c.unit.text, c.article, c.chunk) for c in found] == [
        ("From backend engineer to ML engineer in 14 months", "a.md", 3)]


CONCERTS = passage("We tried dynamic pricing for one season. It raised revenue for popular concerts. "
                   "We now use dynamic pricing only for special concerts. Subscribers keep their seats.")


def test_parts_after_the_answer_quoting_one_passage_read_in_its_order():
    other = passage("Subscribers renew in spring. Most renew early.", source="b.md")
    candidates = _candidates([CONCERTS, other])

    def part(text: str, citation: int) -> tuple[str, list]:
        return f"{text} [{citation}]", [c for c in candidates if c.unit.text == text]

    tried, raised, now, keep = (part(c.unit.text, 1) for c in candidates[:4])
    spring, early = part("Subscribers renew in spring.", 2), part("Most renew early.", 2)
    texts = lambda parts: [text for text, _ in parts]  # noqa: E731
    # After the best answer: what follows it in the article, then what comes before it; another passage's run apart.
    assert _in_reading_order([now, tried, keep, raised, early, spring]) == texts([now, keep, tried, raised, spring, early])
    assert _in_reading_order([raised, now, tried]) == texts([raised, now, tried])
    unplaced = ("Embedded RSEs. [1]", [])  # a part that quotes no unit found keeps its place, and so does its run
    assert _in_reading_order([now, raised, unplaced, tried]) == texts([now, raised, unplaced, tried])


def test_an_answer_reads_in_the_articles_order_after_its_first_part():
    concerts = passage("Special concert pricing was fixed for years. Special concert pricing then moved with demand. "
                       "Subscribers were unhappy about it.\n\nSpecial concerts now use dynamic pricing.")
    answer = Composer().compose("what pricing do special concerts use now?", [concerts])
    assert answer == ("Special concerts now use dynamic pricing. Special concert pricing was fixed for years. "
                      "Special concert pricing then moved with demand. [1]")


def test_do_i_need_is_answered_by_the_sentence_that_says_what_is_required():
    text = passage("Research engineers at labs often hold a PhD in machine learning, and they publish papers. "
                   "A master's degree is enough for most research engineer roles when your engineering work shows.")
    for question in ("do I need a PhD to become a research engineer?", "do u need a PhD to become a research engineer?"):
        assert Composer().compose(question, [text]).startswith("A master's degree is enough"), question


def test_what_a_role_asks_for_says_what_it_requires():
    # "asks for a PhD": the requirement, though no word of "need" or "required" says so.
    lab = passage("Research engineers with a PhD often work next to data teams and infrastructure teams.",
                  score=0.7, source="labs.md")
    split = passage("A research scientist role usually asks for a PhD. A research engineer role does not ask for "
                    "either, although published papers help.", source="roles.md")
    answer = Composer().compose("do i need a phd to get hired as a research engineer at one of the big labs?",
                                [lab, split])
    assert answer.startswith("A research scientist role usually asks for a PhD. A research engineer role does not"), answer


def test_do_i_need_is_answered_by_the_sentence_that_says_yes_or_no():
    # The second sentence holds "doctorates" (PhD spelled out) and comes as close in meaning; the first answers.
    text = passage("No. Only 21% of the site reliability engineers we surveyed held a PhD. Research-heavy teams still "
                   "favour doctorates, but most site reliability jobs are engineering jobs.",
                   heading="Do you need a PhD?")
    answer = Composer().compose("Do I need a PhD to work as a site reliability engineer?", [text])
    assert answer.startswith("No. Only 21%")


def test_a_list_written_as_sentences_is_quoted_whole_after_the_sentence_that_announces_it():
    text = passage("The survey found three habits that set senior analysts apart. They write down the question before "
                   "touching any data. They check every join against a row count. And they explain each result in one "
                   "sentence to someone outside the team. Plenty of analysts have one of these habits.")
    answer = Composer().compose("what habits do senior analysts have?", [text])
    assert answer.startswith("The survey found three habits")
    assert "row count" in answer and "one sentence to someone outside the team" in answer


def test_paid_less_than_is_answered_by_the_sentence_that_says_by_how_much():
    # The first sentence holds an amount and more of the question's words ("paid", "tech").
    text = passage("Game analysts in tech hubs get paid a median base of $112,000 a year. Across all studios, game "
                   "analysts earned about 14% less than analysts at comparable tech companies.")
    answer = Composer().compose("do game analysts get paid less than analysts elsewhere in tech?", [text])
    assert answer.startswith("Across all studios, game analysts earned about 14% less")
    # "percent" written out says by how much too.
    asked = _kinds_asked("how much higher than the offer should I counter?")
    assert any(shape.search("A counter 10 to 15 percent above the offered base is normal.") for shape in asked)


def test_how_long_is_answered_by_a_duration_written_in_words():
    # The first sentence holds one more of the question's words ("work"); the second says how long.
    text = passage("Reviewers of graphic outputs work closely with a team lead.\n\n"
                   "Reviewers of graphic outputs are limited to four hours a day.")
    answer = Composer().compose("how long do reviewers of graphic outputs work?", [text])
    assert answer.startswith("Reviewers of graphic outputs are limited to four hours a day.")


def test_the_first_few_days_are_answered_from_the_section_for_day_one():
    intro = passage("Losing a job is hard, and the first month sets the pace. Here is a plan for the month after a "
                    "layoff: rest, plan, apply.", heading="A 30-day plan after a layoff")
    days = passage("Read the severance agreement before you sign it, and apply for unemployment benefits.",
                   heading="A 30-day plan after a layoff > Days 1–3: paperwork", score=0.5)
    week = passage("Write to ten former colleagues, one at a time.", heading="A 30-day plan after a layoff > Week 2: people",
                   score=0.5)
    answer = Composer().compose("what should I do in the first few days after a layoff?", [intro, days, week])
    assert answer.startswith("Read the severance agreement")


def test_each_side_of_an_or_question_is_answered_though_the_first_part_shares_a_word_with_the_second():
    # "charged" is a word of the second side, but the first part says nothing of a fixed price.
    rate = passage("Freelancers charged a median of $125 an hour in 2024, and most bill by the hour.")
    fixed = passage("Use a fixed price when the deliverable is well defined.", score=0.5, source="b.md")
    answer = Composer().compose("should I bill by the hour or charge a fixed price per project?", [rate, fixed])
    assert "bill by the hour" in answer and "Use a fixed price when the deliverable is well defined." in answer


def test_two_questions_in_one_message_are_both_answered():
    cost = passage("Bootcamp fees vary by school. A full-time bootcamp costs between $10,000 and $15,000.")
    length = passage("Schedules differ too. Most full-time bootcamps run 12 to 16 weeks.", score=0.55)
    answer = Composer().compose("how long do full-time bootcamps run? and what does one cost?", [cost, length])
    assert "12 to 16 weeks" in answer and "$10,000 and $15,000" in answer


def test_a_list_introduction_that_refers_back_is_quoted_with_the_sentence_it_refers_to():
    tool = passage("Teams used to transform data by hand. The tool that made it a workflow was dbt. It lets you:\n"
                   "- write transformations as code\n- test the assumptions about the data\n- document the models")
    answer = Composer().compose("which things does the tool let you do?", [tool])
    assert answer.startswith("The tool that made it a workflow was dbt. It lets you: write transformations as code")


def test_a_comparison_is_answered_by_the_table_row_setting_one_side_against_the_other():
    intro = passage("Both tracks ask for different skills and a different mindset. Let's break down the differences "
                    "between the two so you can pick a path.", heading="Staff engineer vs engineering manager",
                    score=0.7)
    table = passage("- Main focus — Staff engineer: technical excellence; Engineering manager: people management\n"
                    "- Reports — Staff engineer: none; Engineering manager: five to ten people",
                    heading="Key differences")
    answer = Composer().compose("staff engineer vs engineering manager, what's different?", [intro, table])
    assert re.match(r"(Main focus|Reports) — Staff engineer: .+; Engineering manager: ", answer)


def test_a_difference_asked_of_a_comparison_table_is_answered_by_its_rows_whole_in_the_tables_order():
    # Each row tells the two apart on one point; by their leads alone ("Main tools; Pace of change; Company") they
    # would tell nothing apart.
    table = passage("- Main tools — Lighthouse keeper: lamps, lenses, fog signals, weather logs and the keeper's "
                    "daily logbook; Harbour pilot: charts, tide tables, the radio and the bridge of whichever ship is "
                    "being brought in\n- Pace of change — Lighthouse keeper: slow: a new lens or lamp every few "
                    "decades, and the same rock every day; Harbour pilot: fast: new ships, new berths and new dredged "
                    "channels every season\n- Company — Lighthouse keeper: mostly alone for weeks at a time, with a "
                    "relief boat every month; Harbour pilot: ship crews, tug masters, linesmen and port control all day",
                    heading="How the jobs differ")
    prose = passage("A lighthouse keeper's day and a harbour pilot's day could hardly be more different. Pilots are paid "
                    "by the ship, keepers by the year.", score=0.7, heading="Two jobs by the sea")
    answer = Composer().compose("how is a lighthouse keeper's working day different from a harbour pilot's?",
                                [prose, table])
    assert answer.startswith("Pace of change — Lighthouse keeper: slow: a new lens or lamp every few decades, and the "
                             "same rock every day; Harbour pilot: fast: new ships"), answer
    assert answer.index("Pace of change") < answer.index("Company — Lighthouse keeper: mostly alone"), answer
    # The one point a question names is what it asks about.
    answer = Composer().compose("how is a lighthouse keeper different from a harbour pilot in the company they keep?",
                                [prose, table])
    assert answer.startswith("Company — Lighthouse keeper: mostly alone"), answer


def test_most_likely_is_answered_by_the_sentence_saying_which_is_most_common():
    forms = passage("Analyst interviews include a SQL test. The test takes one of three forms:\n"
                    "- Homework. You get a problem and a day or two to send back SQL for the test.\n"
                    "- Whiteboard. This is the most common kind: you write queries by hand.\n"
                    "- Live coding. You run SQL queries in an editor during the call.", heading="SQL tests")
    answer = Composer().compose("what kind of SQL test am I most likely to get in an analyst interview?", [forms])
    assert answer.startswith("Whiteboard. This is the most common kind")


def test_a_short_list_that_answers_is_quoted_whole_with_its_introduction_once_not_item_by_item():
    stages = passage("Research labs hire in the same stages, in this order:\n- Recruiter screen\n- Coding exercise\n"
                     "- Research discussion\n- Values conversation", heading="How research labs hire")
    answer = Composer().compose("what is the hiring process like at research labs?", [stages])
    assert answer == ("Research labs hire in the same stages, in this order: Recruiter screen; Coding exercise; "
                      "Research discussion; Values conversation. [1]")



def test_items_of_a_list_quoted_beside_the_answer_are_quoted_together_in_the_article_order():
    design = passage("In a data engineering interview the design round is a whiteboard conversation about a pipeline. "
                     "There is no single right architecture.", heading="Data engineering interview: the design round",
                     score=0.7)
    rounds = passage("- Recruiter screen\n- SQL live coding\n- Pipeline design\n- Behavioral interview",
                     heading="Data engineering interview rounds and design", score=0.6)
    answer = Composer().compose("what is the design round like in a data engineering interview?", [design, rounds])
    assert answer.endswith("[1] Recruiter screen; SQL live coding; Pipeline design; Behavioral interview. [2]")


def test_a_run_of_parts_from_one_passage_gets_one_citation():
    weeks = passage("Most hiring processes last 6 to 8 weeks. Some firms take 12 weeks for senior hiring. "
                    "Hiring at start-ups takes 2 weeks.", heading="How long hiring takes")
    answer = Composer().compose("How many weeks does hiring take?", [weeks])
    assert answer == ("Most hiring processes last 6 to 8 weeks. Some firms take 12 weeks for senior hiring. "
                      "Hiring at start-ups takes 2 weeks. [1]")


def test_a_sentence_that_refers_back_to_a_label_line_is_quoted_with_the_label():
    groups = passage(
        "Readers who ask about switching fall into two groups.\n- The lab scientist\n"
        "These readers hold a doctorate in chemistry or biology and already analyse experiments every week.\n"
        "- The bootcamp graduate\nThese readers finished a short course and look for a first junior post."
    )
    answer = Composer().compose("I analyse experiments with a chemistry doctorate, could I switch?", [groups])
    assert answer.startswith("The lab scientist: These readers hold a doctorate"), answer


def test_a_sentence_that_points_back_is_quoted_with_the_sentence_it_points_to():
    seasons = passage(
        "Farm analysts run field trials. A badly designed trial is only found out at harvest, and the next try is a "
        "year away. That single fact explains why data science in farming is slow. Pay is steady.")
    answer = Composer().compose("why is data science in farming so slow?", [seasons])
    assert answer.startswith("A badly designed trial is only found out at harvest"), answer


def test_a_sentence_whose_subject_is_a_pronoun_is_quoted_back_to_the_sentence_naming_it():
    faq = passage(
        "Q: What is the Volve dataset? A: In 2018 Equinor released the complete data from the Volve field. It holds "
        "seismic, well logs and production data. It was the first time a complete field dataset was published openly.")
    answer = Composer().compose("is there a complete oil field dataset published openly?", [faq])
    assert answer.startswith("In 2018 Equinor released the complete data from the Volve field. It holds"), answer


def test_an_answer_to_a_question_the_article_asks_is_quoted_from_its_first_sentence():
    faq = passage("Q: Which software should I learn?\nA: Petrel is the dominant platform for interpretation.\n"
                  "Q: Will I have to work offshore?\nA: Rarely. Almost all of the work is in an office or remote. You "
                  "might visit a rig once for training, but rotations on the rigs apply to offshore operations staff.")
    answer = Composer().compose("do data scientists have to go work offshore on the rigs?", [faq])
    assert answer.startswith("Rarely. Almost all of the work is in an office or remote. You might visit a rig"), answer


def test_a_part_of_the_answer_never_quotes_again_what_an_earlier_part_quoted():
    # "Central RSE groups. A team ..." answers one side of "central vs embedded?"; the other side's "This model ..."
    # points back to "A team ...", which is said already.
    units = _candidates([passage("Central RSE groups. A team of 5 to 40 engineers sits in IT services. This model "
                                 "offers more stability.")])
    label, team, model = units
    assert _excerpt(model, units, False, 55)[0].startswith("A team of 5 to 40")
    text, _ = _excerpt(model, units, False, 55, quoted_before={id(label), id(team)})
    assert text == "This model offers more stability. [1]", text
    # Nor the sentence after the anchor, which would complete it.
    assert _excerpt(team, units, False, 55)[0] == "A team of 5 to 40 engineers sits in IT services. This model offers " \
                                                   "more stability. [1]"
    text, _ = _excerpt(team, units, False, 55, quoted_before={id(model)})
    assert text == "A team of 5 to 40 engineers sits in IT services. [1]", text


def test_which_pays_more_is_answered_by_the_sentence_saying_which_side_is_higher():
    agency = passage("On an agency contract the agency pays the employer taxes.\n\nBecause contract jobs are "
                     "temporary, contractors get a bigger paycheck than staff.")
    answer = Composer().compose("Agency contract or full-time job: which one usually pays more?", [agency])
    assert answer.startswith("Because contract jobs are temporary, contractors get a bigger paycheck"), answer


def test_a_list_of_reasons_from_another_article_is_no_answer_to_why():
    farming = passage("A badly designed field trial is only found out at harvest, a year later. That single fact "
                      "shapes the slow pace of data science in farming.", score=0.7, source="farm.md")
    banks = passage("Five reasons data science is slow at banks:\n- Model risk reviews slow data science down\n"
                    "- Data is slow to move\n- The core systems are old", heading="Why data science at banks is slow",
                    score=0.6, source="bank.md")
    answer = Composer().compose("why is data science in farming so slow?", [farming, banks])
    assert answer.startswith("A badly designed field trial"), answer


def test_a_section_retrieval_marks_as_named_by_the_follow_up_is_quoted_over_a_sentence_sharing_a_word():
    intro = passage("You will hear that every studio runs its design interview differently.",
                    heading="Design interviews", score=0.7)
    named = passage("Interviewers listen for problems ranked by the harm each one does to users.",
                    heading="3. Critique round", score=0.5)
    named.metadata["named_section"] = True
    follow_up = "what are the stages of a design interview?\nwhat do they want to hear in the critique one?"
    assert Composer().compose(follow_up, [intro, named]).startswith("Interviewers listen for problems")


def test_a_clipped_word_matches_the_word_it_shortens_not_a_near_namesake():
    study = passage("Analysts should state their assumptions before every project.\n\n"
                    "Analysts should learn statistics before any machine learning course.")
    answer = Composer().compose("what stats should analysts learn?", [study])
    assert answer.startswith("Analysts should learn statistics"), answer


def test_an_faq_answer_is_quoted_without_its_answer_label():
    faq = passage("Q: Do I need a master's degree to get hired?\nA: No. Most teams hire on evidence of applied work.",
                  heading="Questions readers ask")
    answer = Composer().compose("do I need a master's degree to get hired?", [faq])
    assert answer.startswith("No. Most teams hire on evidence of applied work."), answer


def test_a_section_heading_that_states_the_figure_asked_for_is_quoted():
    episode = passage("MAYA: I started studying in the spring and kept my day job the whole time.\n"
                      "HOST: And the interviews?\nMAYA: Those came at the very end, all in one busy week.",
                      heading="From accountant to data analyst in 9 months")
    episode.metadata["title"] = "Career Switch Podcast, Episode 12"
    answer = Composer().compose("how long did Maya's whole switch take?", [episode])
    assert "From accountant to data analyst in 9 months" in answer, answer


def test_unit_vectors_stored_for_other_units_are_not_used():
    # A store written when the passage split into fewer units: its vectors belong to other units, so the
    # composer embeds this passage's units itself rather than pair a unit with another unit's vector.
    from bot.embeddings import embed_texts, pack_vectors

    stale = passage(DURATION.page_content)
    stale.metadata["unit_vectors"] = pack_vectors(embed_texts(["Senior engineers can earn up to $200,000."]))
    answer = Composer().compose("How long does hiring take?", [stale])
    assert answer.startswith("Most hiring processes last 6 to 8 weeks")


def test_every_unit_with_a_stored_vector_is_weighed_by_meaning_however_few_words_it_shares():
    # Twenty sentences share the question's words "people usually"; the one that answers shares none. Its vector
    # is stored at ingest, so its closeness in meaning counts though words alone rank it last.
    from bot.embeddings import embed_texts, pack_vectors
    from bot.text import unit_context, with_context

    places = ("kitchen library lobby garden basement atrium studio lounge gallery terrace workshop cellar attic annex "
              "foyer courtyard balcony pantry hallway loft").split()
    text = " ".join(f"People usually park in the {place}." for place in places)
    reworded = passage(f"{text} Most applicants hear back from the recruiter within a fortnight.")
    units = passage_units(reworded.page_content)
    reworded.metadata["unit_vectors"] = pack_vectors(
        embed_texts([with_context(unit_context(None, unit), unit.text) for unit in units]))
    answer = Composer().compose("how soon after applying do people usually get a reply?", [reworded])
    assert answer.startswith("Most applicants hear back from the recruiter within a fortnight."), answer


SKILL_PAY = passage(
    "Skills linked to above-average pay:\n"
    "- Data scientist — Skill: Forecasting; Pay above the role's average: 22%\n"
    "- Data scientist — Skill: C++ programming; Pay above the role's average: 42%\n"
    "- Machine learning engineer — Skill: Image processing; Pay above the role's average: 46%\n"
    "- Data scientist — Skill: Cybersecurity; Pay above the role's average: 39%",
    heading="Which skills raise the pay?",
)
PAY_INTRO = passage("PayScale also tracks which skills are tied to the largest salary bumps for each job.", score=0.7)


def test_a_superlative_is_answered_by_the_row_with_the_extreme_figure_in_the_column_it_names():
    # "pay" names the percentage column; "data scientist" narrows the rows (the ML engineer's 46% is another role's).
    answer = Composer().compose("what skill gives a data scientist the biggest pay bump?", [PAY_INTRO, SKILL_PAY])
    assert answer.startswith("Data scientist — Skill: C++ programming")
    answer = Composer().compose("what skill gives a data scientist the smallest pay bump?", [PAY_INTRO, SKILL_PAY])
    assert answer.startswith("Data scientist — Skill: Forecasting")


def test_figures_in_different_currencies_are_never_compared():
    table = passage("Senior base salary by city:\n- Senior — City: London; Base salary: £145,000\n"
                    "- Senior — City: Bengaluru; Base salary: ₹5,800,000", heading="Pay by city")
    answer = Composer().compose("which city pays the highest base salary for a senior?", [table])
    assert not answer.startswith("Senior — City: Bengaluru")


def test_a_quoted_list_keeps_the_sentence_after_it_that_sums_it_up():
    skills = passage("Hiring managers for data engineers look for three things:\n- read a cloud bill;\n"
                     "- design an access role that follows least privilege;\n- explain when serverless wins.\n\n"
                     "Candidates who cannot do these things tend to be screened out within 20 minutes.\n\n"
                     "Cloud certificates come next.", heading="Cloud skills")
    answer = Composer().compose("do interviewers care whether I can read a cloud bill?", [skills])
    assert "read a cloud bill" in answer and "screened out within 20 minutes" in answer
    assert "Cloud certificates" not in answer


def test_why_someone_earns_less_is_answered_with_the_reason_not_only_the_amounts():
    # The question names pay but asks why: a figure answers no "why", so it earns no bonus for the kind of answer.
    figures = passage("The median data analyst in Lagos earns $9,000 a year, against $85,000 in Berlin.", score=0.7)
    reason = passage("In Lagos the data analyst title also covers clerical reporting jobs, which explains much of "
                     "the pay gap.")
    answer = Composer().compose("why do data analysts in Lagos earn so much less than in Berlin?", [figures, reason])
    assert "also covers clerical reporting jobs" in answer


def test_why_is_answered_by_the_sentence_saying_that_is_why():
    team = passage("Funds keep sourcing datasets: we find them, test whether they predict anything, and turn the ones "
                   "that work into feeds.", score=0.7)
    reason = passage("No. Once a dataset is widely sold, its edge disappears into the price within about 18 months. That "
                     "is why we keep sourcing new ones.", score=0.6)
    answer = Composer().compose("Why do hedge funds keep sourcing new alternative datasets instead of sticking with the "
                                "ones they have?", [team, reason])
    assert answer.startswith("No. Once a dataset is widely sold")


def test_what_stuff_asks_for_a_list_as_what_things_does():
    platform = passage("Platform engineers use a lot of judgement about what to build.\n\nThey code in Go, Rust and Python.")
    answer = Composer().compose("what coding stuff do platform engineers use?", [platform])
    assert answer.startswith("They code in Go, Rust and Python.")


def test_how_often_is_answered_by_a_frequency_not_by_the_word_often():
    rota = passage("Large teams page their analysts less often than small ones, because their checks catch more. "
                   "Each analyst joins the rota roughly once every six weeks. About 70% of analysts are on a rota.",
                   heading="On call")
    answer = Composer().compose("how often would an analyst be on call?", [rota])
    assert answer.startswith("Each analyst joins the rota roughly once every six weeks.")


def test_a_question_the_article_asks_points_at_the_answer_after_it():
    episode = passage("SAM: Welcome back. Today we talk about moving into audio work.\n"
                      "SAM: What makes audio work harder than text work?\n"
                      "LEE: A few things. First, sound is continuous and noisy, so labelling is slow.\n"
                      "SAM: And the pay for audio roles?\nLEE: Better than I expected, usually.", heading="Episode 9")
    answer = Composer().compose("why is audio work harder than text work?", [episode])
    assert "sound is continuous and noisy" in answer
    assert "What makes audio" not in answer


def test_a_list_quoted_whole_for_one_side_of_an_or_question_is_not_quoted_again_for_the_other():
    # The item quoted holds few of the first side's words; the best unit left for it is the list's introduction,
    # which the list quoted whole already holds.
    reasons = passage("Three explanations come up again and again:\n"
                      "- Production. Engineers are paid a premium for systems that must not fail.\n"
                      "- Skills. Engineers bring a deeper software background.\n"
                      "- Revenue. Engineers own features customers touch.", heading="Why engineers earn more")
    question = "is the engineer pay premium over analysts bigger for office jobs in big cities or for remote ones?"
    answer = Composer().compose(question, [reasons])
    assert answer.count("Three explanations") == 1, answer


def test_a_list_introduction_quoted_with_a_colon_counts_as_quoted():
    # Quoted before its list, the introduction's full stop becomes a colon; it is still quoted, never again.
    groups = passage("Working out which group you are closest to is the first step.\n- The career changer\n"
                     "- The new grad")
    candidates = _candidates([groups])
    said = ["Working out which group you are closest to is the first step: The career changer; The new grad. [1]"]
    assert _quoted(said, candidates) == {id(c) for c in candidates}


def test_a_year_is_no_count():
    asked = _kinds_asked("how many people did Google lay off in early 2023?")
    year = "Only one month into 2023, big tech had let go of tens of thousands."
    assert not any(shape.search(year) for shape in asked)
    assert any(shape.search("12,000 at Google were told their roles were eliminated.") for shape in asked)


def test_a_rate_or_money_question_asks_for_an_amount():
    for question in ("median hourly rate for a freelance data scientist?", "who takes home more money, MLEs or DSs?",
                     "what do data engineers make?", "sportsbook or team, who makes more?"):
        assert any(shape.search("The median was $125 an hour.") for shape in _kinds_asked(question)), question
    # "Make" that makes something else asks no amount.
    for question in ("What mistakes do physicists tend to make in their first data job?",
                     "Is a cloud certification going to make a difference for me?"):
        assert not any(shape.search("The median was $125 an hour.") for shape in _kinds_asked(question)), question


def test_a_rota_is_a_frequency():
    asked = _kinds_asked("how often are bidder engineers on call?")
    for rota in ("The on-call rota covers one week in every six.", "Seniors take 1 weekend in 8."):
        assert any(shape.search(rota) for shape in asked), rota


def test_a_question_an_article_reports_is_never_the_answer():
    intro = passage("After a rough year, the natural questions are whether tech workers are burning out and what drives "
                    "it.", score=0.7)
    causes = passage("Among those burned out, the factors mentioned most often are:\n- unfair pay\n- a toxic work "
                     "environment\n- a heavy workload", score=0.6)
    answer = Composer().compose("what are the main things making tech workers burn out?", [intro, causes])
    assert answer.startswith("Among those burned out"), answer


def test_how_much_more_is_answered_by_the_difference_not_by_any_amount():
    # Every sentence holds an amount; only one says by how much more.
    sizes = passage("AI product managers at large companies reported a median base of $176,000, against $139,000 at "
                    "small ones.", score=0.8)
    premium = passage("Product managers who do not work on AI report a median base of $146,000, which puts the AI "
                      "premium at about 11%.", score=0.6, source="b.md")
    question = "how much more do AI product managers make than other product managers?"
    answer = Composer().compose(question, [sizes, premium])
    assert answer.startswith("Product managers who do not work on AI"), answer


def test_a_list_of_what_to_learn_is_named_by_the_word_learn():
    # "learn" is a stopword to the word scores, but it is what this list question asks for.
    moves = passage("Most former actuaries say the move paid off.\n\nWhat they had to learn was mostly engineering:\n"
                    "- version control with git\n- tested Python\n- experiment design", heading="What transfers")
    answer = Composer().compose("What did former actuaries have to learn before moving into data science?", [moves])
    assert "version control with git" in answer and "experiment design" in answer


def test_the_sides_of_a_difference_are_parts_asked_as_those_of_x_vs_y_are():
    for question in ("What's the difference between a research scientist and a research engineer?",
                     "How is a research scientist different from a research engineer?",
                     "research scientist vs research engineer?"):
        assert _parts_asked(question) in ([{"scientist"}, {"engin"}], [{"differ", "scientist"}, {"engin"}]), question


def test_a_reason_given_with_so_answers_why():
    for question in ("Why do forecasters start so early?", "What's pushing actuaries to leave the profession?"):
        asked = _kinds_asked(question)
        assert any(shape.search("The auction closes at noon, so forecasters start at six.") for shape in asked)
        assert not any(shape.search("Forecasters start at six, so far as we know.") for shape in asked)


def test_a_question_about_one_item_of_a_list_is_answered_by_that_item_not_a_sibling_sharing_its_words():
    # "Live coding." shares "run your queries" and "check"; the question asks of the whiteboard test.
    forms = passage("The test normally takes one of three forms:\n"
                    "- Whiteboard test. You write your queries out by hand. There is no computer to point out syntax "
                    "errors.\n- Live coding. You solve problems in a live environment. You can run your queries and "
                    "check your results as you go.\n- Homework. You take problems away and solve them at home.",
                    heading="SQL test formats")
    answer = Composer().compose("In a whiteboard SQL interview, do you get to run your queries to check them?", [forms])
    assert "no computer" in answer and "Live coding" not in answer
    # Asked of no item, or of two compared, the items compete on their words as before.
    assert "Live coding" in Composer().compose("In which test can you run your queries and check results?", [forms])
    assert "Live coding" in Composer().compose("Whiteboard test vs live coding: can you run your queries?", [forms])


def test_a_turn_of_an_interview_is_quoted_whole_not_cut_into_a_list():
    transcript = passage("This is an edited transcript.\n"
                         "- Dana Keller: Haven't large language models made all of this obsolete?\n"
                         "- Ananya Krishnan: Not yet, for three reasons. Terminology consistency, because product names "
                         "have to be translated the same way every time. Cost, because one client translates 500 "
                         "million words a year. And confidentiality.\n"
                         "- Dana Keller: Let's talk about the skills. Do you need to speak several languages?\n"
                         "- Ananya Krishnan: It helps but it isn't required. I speak four, but two of my best engineers "
                         "are monolingual. What you need is Python, PyTorch, experience fine-tuning sequence models and "
                         "comfort with messy parallel data, and respect for the linguists you work with every day.",
                         heading="Episode 42")
    answer = Composer().compose("Why haven't large language models replaced custom MT engines?", [transcript])
    assert "Terminology consistency" in answer and "500 million words" in answer
    # A fact sheet's "Key: value" lines are no turns.
    sheet = _candidates([passage("The role:\n- Salary: $100k to $120k a year.\n- Location: Remote, with two office "
                                 "days a month.")])
    assert not _is_transcript(sheet) and _is_transcript(_candidates([transcript])[1:])


def test_a_condition_on_years_of_work_answers_the_reader_whose_years_meet_it():
    worth = passage("When a certification is worth it:\n- Your employer pays and gives you study time. Then paying for "
                    "the certification costs you little.\n- You are changing careers.", score=0.7)
    not_worth = passage("When it is not:\n- You already have two or more years in the role. In a poll of hiring "
                        "managers, 58% said a certification made no difference.\n- You are targeting research roles.",
                        score=0.6)
    question = "I've been working as a data engineer for three years. Is a certification still worth paying for?"
    assert "You already have two or more years in the role. In a poll of hiring managers, 58%" in Composer().compose(
        question, [worth, not_worth])
    # A reader a year in doesn't meet it; an age or a time ahead is no years of work.
    assert "58%" not in Composer().compose(question.replace("three years", "one year"), [worth, not_worth])
    assert _years_told("I'm 35 years old and in 5 years I want to lead; I've been an analyst for two years.") == 2


def test_a_label_asking_what_the_question_asks_marks_the_answer():
    section = passage("Prompt engineering is the new literacy for product managers, who now prompt every day. "
                      "Prompting well is the first skill to build.\n\nHow to start: pick one assistant and use it to "
                      "automate one small task.", heading="1. Prompt engineering")
    answer = Composer().compose("Which skills matter? (Prompt engineering is the new literacy)\nhow do I get started on "
                                "the first one?", [section])
    assert answer.startswith("How to start: pick one assistant")
    # A label asking something else ("Who answered") doesn't answer "how many answered".
    survey = _candidates([passage("The survey was run online.\n\n- Who answered: technology professionals in the U.S.\n"
                                  "- Responses: 520 qualified responses", heading="Methodology")])
    assert _labelled_as_asked("how many people answered that survey?", survey) == set()
    assert _labelled_as_asked("who answered that survey?", survey) == {id(survey[1])}


AUDIT = [passage("What audit analytics teams do:\n- Full-population testing. Instead of sampling, analysts test every "
                 "payment against a rule.\n- Continuous monitoring. Scripts rerun key tests monthly.",
                 heading="What audit analytics teams do", score=0.7),
         passage("- Duplicate payments — What it looks for: Same vendor, amount and date\n- Ghost employees — What it "
                 "looks for: Payroll records with no badge swipes", heading="Classic analytics tests", score=0.6)]


def test_a_list_question_names_the_last_of_its_plural_nouns():
    # "analytics tests": the tests are asked for, under "Classic analytics tests", not every list mentioning analytics.
    answer = Composer().compose("What classic analytics tests do internal audit teams run?", AUDIT)
    assert "Duplicate payments" in answer and "Ghost employees" in answer


BREAK_IN = passage(
    "How to break in:\n- Rebuild classic tests on public data. Spending datasets are ideal.\n- Learn to document like an "
    "auditor. Every test needs a clear objective. This matters because a reviewer must be able to re-perform every "
    "test.\n- Practise on the SMAP and MSL missions' labelled telemetry. It is the usual starting point.\n"
    "- Apply to audit analytics roles. Large firms hire each autumn.", heading="How to break in")


def test_one_step_that_holds_the_answer_is_quoted_whole_not_the_list():
    # A "why" the step itself answers, and "which missions" that only one step names: that step, whole.
    answer = Composer().compose("Why do audit analysts have to document their tests so carefully?", [BREAK_IN])
    assert "re-perform every test" in answer and "Large firms" not in answer
    answer = Composer().compose("Which missions did that telemetry come from?", [BREAK_IN])
    assert "SMAP and MSL" in answer and "Spending datasets" not in answer


CERTIFICATIONS_COMPARED = passage(
    "This guide covers the six vendor certifications our students ask about most.\n"
    "- Azure Data Scientist Associate (DP-100) — Centred on Azure Machine Learning: workspaces, compute, jobs, MLflow "
    "tracking, endpoints and retraining pipelines\n"
    "- Databricks Data Engineer Associate — Centred on Spark, Delta Lake tables, workflows and the lakehouse platform "
    "that many data teams now run on\n"
    "- Snowflake SnowPro Core — Centred on warehouses, data loading, sharing, security and the cost model that every "
    "analytics engineer meets at work\n"
    "- dbt Analytics Engineering — Centred on models, tests, documentation, sources and the project structure that dbt "
    "Labs recommends for larger teams", score=0.65, source="b.md", heading="Certifications compared")


def test_a_table_row_headed_by_what_is_asked_answers_a_list_question():
    # "Key certifications — A; B; C" names what "which certifications" asks for and lists them: it is the answer,
    # before another article's list of certifications for other jobs.
    passages = [passage("Of the four key certifications, two are machine learning credentials from cloud vendors (AWS "
                        "and Google), one is Azure's AI engineering credential, and the fourth is the Kubernetes "
                        "administrator exam, which fits a job in which training runs in containers.", score=0.7),
                CERTIFICATIONS_COMPARED,
                passage("- Typical education — A bachelor's degree in computer science\n- Key certifications — AWS "
                        "Machine Learning Specialty; Google Professional ML Engineer; Certified Kubernetes "
                        "Administrator", heading="At a glance", score=0.6)]
    answer = Composer().compose("which certifications are worth having for an MLOps engineer job?", passages)
    assert "Certified Kubernetes Administrator" in answer


def test_a_question_about_a_risk_is_answered_by_how_often_it_happens():
    mistakes = passage("The most common mistakes:\n- Accepting verbally on the first call, then trying to reopen the offer "
                       "a few days later.\n- Negotiating only the base salary and ignoring equity.", score=0.7)
    survey = passage("Most people negotiate their first offer badly. We surveyed 412 readers about their last offer. "
                     "Only 2 of the 412 said an offer was withdrawn after they negotiated.", score=0.6)
    answer = Composer().compose("is there a real risk a company pulls my offer if I try to negotiate?", [mistakes, survey])
    assert answer.startswith("Only 2 of the 412 said an offer was withdrawn")


def test_the_article_speaking_of_itself_answers_nothing():
    passages = [passage("This guide lays out the differences so you can pick the role that suits you.", score=0.7),
                passage("- Infrastructure — Data Engineer: Owns the pipelines; Analytics Engineer: Uses them\n"
                        "- Modelling — Data Engineer: Light; Analytics Engineer: Owns the semantic layer",
                        heading="Side by side", score=0.6)]
    answer = Composer().compose("data engineer vs analytics engineer, what's the actual difference?", passages)
    assert "This guide" not in answer and "Owns the pipelines" in answer


def test_the_readers_own_years_of_experience_ask_no_duration():
    assert bot_text.DURATION not in _kinds_asked("im a backend dev with 6 years of experience, what was her main advice?")
    assert bot_text.DURATION not in _kinds_asked("with 3+ yrs in analytics, what should I learn next?")
    assert bot_text.DURATION in _kinds_asked("how many years of experience do MLOps roles want?")
    assert bot_text.DURATION in _kinds_asked("years of experience needed for a senior role?")


def test_an_item_with_sub_items_is_quoted_once():
    # The chunker writes a sub-item with its item's words ("item — sub-item") after the item itself.
    ladder = passage("Pay by level:\n- Junior (0–2 years): AUD 75,000 to 95,000\n- Junior (0–2 years): AUD 75,000 to "
                     "95,000 — Cleaning and joining spatial data\n- Senior (5+ years): AUD 140,000 to 185,000\n"
                     "- Senior (5+ years): AUD 140,000 to 185,000 — Setting technical direction",
                     heading="Career ladder and pay")
    answer = Composer().compose("what are the pay levels on the ladder?", [ladder])
    assert answer.count("AUD 75,000 to 95,000") == 1 and answer.count("AUD 140,000 to 185,000") == 1


def test_what_time_asks_for_a_time_of_day():
    route = passage("Most people get onto a forecasting desk through a project.", score=0.7)
    day = passage("Q: What does a normal day look like?\nA: It starts early. The overnight weather run lands just before "
                  "7am, so I am at my desk by 6:30. Afternoons are for research.", score=0.55)
    assert "by 6:30" in Composer().compose("lol what time do forecasting desk people even start work?", [route, day])
    assert _kinds_asked("what time of year do they hire?") == _kinds_asked("when do they hire?")
    assert not _CLOCK.search("[00:01:26] GUEST: Thanks for having me.")  # a transcript's timestamp is no time of day


def test_a_dealbreaker_asks_whether_something_is_required():
    faq = passage("Agtech jobs pay close to the big tech range.\nDo I need to have grown up on a farm?\n"
                  "No, but you need to respect what growers know.", score=0.55)
    answer = Composer().compose("never lived anywhere near a farm, is that a dealbreaker for agtech data science jobs?",
                                [faq])
    assert answer.startswith("No, but you need to respect what growers know.")


def test_what_it_is_for_answers_why():
    work = passage("Day to day, transit data scientists answer planning questions:\n"
                   "- Ridership forecasting for new routes and timetable changes.\n"
                   "- Equity analysis. Agencies receiving federal funds must run a Title VI analysis before major "
                   "service changes, to check that low-income riders are not disproportionately affected.\n"
                   "- Crowding analysis, combining passenger counts with vehicle capacity.", heading="The work")
    answer = Composer().compose("why do transit agencies have to run a title vi analysis before changing service?",
                                [work])
    assert "to check that low-income riders" in answer and "Crowding" not in answer


def test_x_vs_y_is_answered_by_what_sets_them_apart():
    show = passage("[00:00:10] HOST: What is a game economy analyst?\n[00:00:18] GUEST: In a free-to-play game, players "
                   "earn and spend virtual currencies, and a game economy analyst keeps that economy healthy.\n"
                   "[00:01:20] HOST: And how is that different from a game economy designer?\n"
                   "[00:01:26] GUEST: The designer sets the rules: prices and rewards. The analyst measures what "
                   "happens when real players meet those rules.")
    answer = Composer().compose("game economy analyst vs game economy designer - who does what", [show])
    assert answer.startswith("[00:01:26] GUEST: The designer sets the rules")


def test_a_fee_asks_for_an_amount():
    steps = passage("- Apply to graduate schemes. Contract research organisations hire programmers in cohorts, with "
                    "paid training.\n- Learn Base SAS. The Base Programming exam costs USD 180 and is the credential "
                    "recruiters ask about most.", heading="Getting in")
    answer = Composer().compose("whats the fee for the test hiring agencies care about most?", [steps])
    assert answer.startswith("Learn Base SAS. The Base Programming exam costs USD 180")
    # A pass mark and a cost asked apart are two figures; "the hourly rate" is one.
    assert len(_kinds_asked("whats the passing score for the exam and how much does it cost?")) == 2
    assert _kinds_asked("what is the hourly rate?") == [bot_text.MONEY]
    assert len(_kinds_asked("whats the passing score? how much is the fee?")) == 2
    assert _kinds_asked("do cloud cost analysts need python?") == _kinds_asked("do cloud analysts need python?")


def test_every_turn_of_the_interviewer_asks_even_one_that_ends_on_a_remark():
    show = passage("[00:00:12] HOST: Welcome. What is a game economy analyst?\n"
                   "[00:00:18] GUEST: Someone who keeps a free-to-play economy healthy, measuring currency sources and "
                   "sinks.\n[00:01:20] HOST: And how is that different from a game economy designer? People confuse "
                   "the two.\n[00:01:26] GUEST: The designer sets the rules: prices and rewards. The analyst measures "
                   "what happens when real players meet those rules.")
    answer = Composer().compose("how is a game economy designer different from the analyst?", [show])
    assert "People confuse the two" not in answer and "The designer sets the rules" in answer


def test_a_worry_about_being_replaced_is_answered_by_what_automation_does_to_the_job():
    work = passage("Revenue analysts forecast demand for every night of the year.\n"
                   "Automated systems are taking over routine price changes, so the role is moving towards strategy.\n"
                   "Prices are checked every day, including some weekends.", heading="The job")
    answer = Composer().compose("do the computers just do all the room pricing now, am i gonna be out of a job lol",
                                [work])
    assert answer.startswith("Automated systems are taking over routine price changes")
    assert _kinds_asked("how often does an automatic position beacon report?") == _kinds_asked("how often?")
    for not_a_worry in ("which algorithms do ML engineers use?", "is a bootcamp a replacement for a degree?",
                        "what is it like taking over a team?", "will it make a difference?"):
        assert _kinds_asked(not_a_worry) == [], not_a_worry
    # An FAQ's "Q:" asks in every turn, but the "A:" written under it answers.
    faq = passage("Q: Is this the same as cloud cost optimisation (FinOps)? A: No. FinOps teams help customers spend "
                  "less on cloud. Capacity planners decide how much infrastructure to build.\n"
                  "Q: Is the work remote? A: Mostly hybrid.")
    assert Composer().compose("is capacity planning basically just finops?", [faq]).startswith("No. FinOps teams")


def test_how_to_get_in_is_answered_by_the_route_the_article_lays_out():
    # The question's own words are all the field's name, which the other sections use as much; "get into" and
    # "become" are stopwords. The list under "How to get in" is the answer, whole and in order.
    job = passage("Many multinationals run procurement analytics from shared service centres in Poland and India. "
                  "The data is messy, but procurement analytics is a good first data job.", heading="What the job is",
                  heading_path="Procurement Spend Analyst > What the job is")
    route = passage("- Learn Excel and SQL to a solid level (2–3 months).\n- Understand procure-to-pay (about 1 "
                    "month).\n- Apply to shared service centres (2–4 months).", heading="How to get in",
                    heading_path="Procurement Spend Analyst > How to get in")
    for question in ("how do i get into procurement analytics", "what's the path into procurement analytics?",
                     "How can someone become a procurement analytics analyst?",
                     "how do people actually land a procurement analytics gig?",
                     "what should i do to get my foot in the door in procurement analytics?"):
        answer = Composer().compose(question, [job, route])
        assert answer.startswith("Learn Excel and SQL") and "Apply to shared service centres" in answer, answer
    # Asked what the job is, the route is no answer.
    assert not Composer().compose("what is procurement analytics?", [job, route]).startswith("Learn Excel")


def test_what_the_job_involves_is_answered_by_the_list_under_the_heading_naming_the_work():
    intro = passage("Most planogram analysts work for supermarket chains. A planogram analyst decides what goes on "
                    "each shelf, and analysts spend a lot of time with buyers.", heading="Planogram analysts",
                    heading_path="Planogram analysts")
    work = passage("- Planogram builds — turning category strategy into shelf layouts.\n- Store clustering — grouping "
                   "stores by size and format.\n- Space-to-sales analysis — checking a category's share of shelf.",
                   heading="What the job involves", heading_path="Planogram analysts > What the job involves")
    for question in ("main duties of a planogram analyst?", "what does a planogram analyst actually do?",
                     "what do planogram analysts spend their time on?"):
        answer = Composer().compose(question, [intro, work])
        assert answer.startswith("Planogram builds") and "Space-to-sales analysis" in answer, (question, answer)
    assert not Composer().compose("who employs planogram analysts?", [intro, work]).startswith("Planogram builds")
    # So are the tools they use, listed under "Tools" however the question names them.
    tools = passage("- Space planning: Blue Yonder, Spaceman.\n- Analysis: SQL and Excel.", heading="Tools",
                    heading_path="Planogram analysts > Tools")
    for question in ("what software do planogram analysts use?", "tech stack planogram analysts rely on?"):
        answer = Composer().compose(question, [intro, work, tools])
        assert answer.startswith("Space planning: Blue Yonder") and "SQL and Excel" in answer, (question, answer)


def test_the_part_asked_for_written_as_headings_is_answered_with_them():
    # "What a sensor analyst actually does" lists the work as headings; a table elsewhere in the article whose
    # introduction only mentions the job ("... and the job differs between them") names another part.
    employers = passage("There are two kinds of employers for this role, and the job differs between them.\n"
                        "- Main focus — Operator: alerts and visit planning; Vendor: sensor firmware.\n"
                        "- Best for — Operator: people who like field work; Vendor: people who like products.",
                        heading="Operator or vendor", score=0.7, source="pests.md",
                        heading_path="Pest sensors > Operator or vendor")
    work = passage("The role breaks down into three recurring pieces of work.", heading="What a sensor analyst does",
                   score=0.6, source="pests.md", heading_path="Pest sensors > What a sensor analyst does",
                   subheadings=["Separating real activity from false triggers", "Counting insects from images",
                                "Planning technician visits"])
    answer = Composer().compose("what do sensor analysts at a pest control firm spend their time on?",
                                [employers, work])
    assert answer.startswith("Separating real activity from false triggers; Counting insects"), answer
    # The skills an employer hires for, asked for as abilities.
    skills = passage("Operators hire for general analytical ability and teach the domain.",
                     heading="The skills that get people hired", score=0.6, source="parking.md",
                     heading_path="Parking > The skills that get people hired",
                     subheadings=["Occupancy forecasting", "Price elasticity estimation", "SQL on visit-level data"])
    answer = Composer().compose("what abilities do parking companies want in a pricing analyst?", [employers, skills])
    assert answer.startswith("Occupancy forecasting; Price elasticity estimation"), answer


def test_whats_good_and_whats_bad_is_answered_by_a_side_of_the_pros_and_cons_however_headed():
    story = passage("When a friend told me a removals company was hiring a machine learning engineer, I laughed. "
                    "It is still small, so expect to be the only ML person in the room.", score=0.7, source="moves.md",
                    heading="How I ended up here", heading_path="Moving > How I ended up here")
    love = passage("- The feedback loop is short: every quote becomes a real move within weeks.\n"
                   "- Labels are cheap because surveyors correct the drafts anyway.", score=0.6, source="moves.md",
                   heading="What I love", heading_path="Moving > Pros and cons of the job > What I love")
    hard = passage("- Phone video quality is terrible: dark rooms and fast panning.\n"
                   "- Errors are expensive and public.", score=0.6, source="moves.md", heading="What I find hard",
                   heading_path="Moving > Pros and cons of the job > What I find hard")
    answer = Composer().compose("what's good and what's bad about being the ML person at a removals company?",
                                [story, love, hard])
    assert answer.startswith("The feedback loop is short") or answer.startswith("Phone video quality"), answer
    assert _list_nouns("what's good and what's bad about it?") >= {stem("pros"), stem("cons")}
    # A plain word heads a side only for this question: "Hard skills" is no side of "what are the cons?".
    assert stem("hard") not in _list_nouns("what are the cons of the job?")


def test_an_interviews_question_naming_the_part_asked_points_at_its_answer():
    # "typical day" and the interviewer's "normal day" ask for the same part: the answer after it is quoted.
    faq = passage("Mostly weekday office hours, but in winter many teams run a rota for weekend reporting.", score=0.7,
                  source="beds.md", heading="Is the job shift-based?", heading_path="Beds > FAQ > Is the job shift-based?")
    interview = passage("Q: What does a normal day look like?\nA: It starts at 7:30 with the bed state. By the 8:30 "
                        "site meeting I've refreshed the dashboard.\nQ: What's the hardest part?\nA: Trust.",
                        source="beds.md", heading="The interview", heading_path="Beds > The interview")
    answer = Composer().compose("so whats a typical day like for the people running hospital bed numbers", [faq, interview])
    assert answer.startswith("It starts at 7:30 with the bed state."), answer


def test_a_normal_morning_is_answered_by_the_day_in_the_life():
    # "A day at the plant" names the work a normal day (or morning) asks about, though no word of it is asked.
    day = passage("Her Tuesday:\n- 06:45 Drive in; the plant is 40 minutes from town\n- 07:15 Read the night shift "
                  "log\n- 07:45 Production meeting with the plant manager",
                  heading="A day at the plant", heading_path="Kiln > A day at the plant", source="kiln.md")
    quote = passage("A normal morning at a cement plant looks calm. Nobody trusts a new data scientist's numbers in "
                    "their first months there.", heading="What is hard about it",
                    heading_path="Kiln > What is hard about it", score=0.7, source="kiln.md")
    answer = Composer().compose("ds at a cement plant - what does a normal morning look like? rough times pls",
                                [quote, day])
    assert "07:15 Read the night shift log" in answer.split("[")[0], answer


def test_a_yes_no_question_about_how_many_of_a_group_is_answered_by_the_share():
    # "Do a lot of members quit early?" asks how common it is: the sentence with the share, not one that shares
    # more of its words ("members", "climbing gym") without saying how many.
    seasons = passage("Spring is the busiest season for new sign-ups at a climbing gym. Members who book a weekly "
                      "class are far less likely to leave than members who only climb alone.", score=0.7)
    share = passage("Across the chains we studied, about 40% of the members who left in their first year did so "
                    "within two months of joining.", score=0.6)
    answer = Composer().compose("do a lot of climbing gym members quit in the first couple of months?",
                                [seasons, share])
    assert answer.startswith("Across the chains we studied, about 40%")



def test_a_figure_asked_for_is_quoted_from_the_item_that_states_it_after_its_lead():
    # Items quoted by their leads alone ("Curing trials take too long.") would leave out the months asked for.
    problems = passage(
        "Paint makers hire data scientists for two problems:\n"
        "- Curing trials take too long. Leaving a coated panel outdoors until its gloss falls by half takes 18 to 24 "
        "months for a modern exterior paint, so a model that predicts it from the first weeks of weathering saves a "
        "year of waiting for every new formula the chemists want to bring to market.\n"
        "- Outdoor trials tie up the test site. Paint panels left outdoors until they wear out take up the racks of "
        "a trial site, and it takes 2 weeks to set up each new trial of a coated panel, so the site managers ration "
        "the racks between the product teams and the chemists who all want their formulas tested first.", score=0.7)
    answer = Composer().compose("how long does it take to leave a paint panel outdoors until it wears out in trials?",
                                [problems])
    assert "18 to 24 months" in answer


def test_the_one_item_of_a_list_found_is_quoted_for_what_it_says_not_by_its_name():
    # The other two areas sit in another chunk: the one found answers "why does copper matter?" after its lead.
    item = ("Scrap mix and residuals. Scrap is not all alike. Shredded car bodies, old rail, factory offcuts and "
            "demolition steel differ in price, density and, crucially, in copper content. Copper cannot be removed "
            "once it is in the melt, and too much of it makes the finished bar crack when it is rolled. My scrap-mix "
            "optimiser suggests the cheapest combination of grades that keeps predicted copper under the limit for each product, and "
            "the melt shop manager signs it off every morning.")
    text = ("My projects fall into three areas, and together they explain why a melt shop pays for a data scientist "
            f"at all.\n- {item}")
    answer = Composer().compose("why does the copper in the scrap matter so much?", [passage(text, heading="Projects")])
    assert "Copper cannot be removed" in answer


def test_a_follow_up_asking_how_many_of_something_is_answered_with_a_count_of_it():
    reasons = passage("Anjali, who leads the team, gives three reasons. Energy prices have made waste visible on every "
                      "client's bill. Many clients have signed carbon reduction targets and need evidence of progress. "
                      "And the maintenance contracts themselves are changing, from fixed visits every quarter to "
                      "condition-based work driven by data, which Brightwell can only offer if its analytics are "
                      "trustworthy. In its first two years the team's fault list led to fixes that cut energy use by an "
                      "average of 11 percent across the buildings where crews acted on it.", score=0.58,
                      heading_path="Fault Detection Data Scientist > Why companies are hiring for it")
    role = passage("At Brightwell Building Services, a facilities management company that maintains about 600 "
                   "commercial buildings, a team of six data scientists runs fault detection and diagnostics, usually "
                   "shortened to FDD, across the whole portfolio. Each morning the system produces a ranked list of "
                   "faults for the maintenance crews, with an estimated energy cost per fault so the worst problems "
                   "are fixed first.", score=0.48, heading_path="Fault Detection Data Scientist > What the role is")
    question = ("how much energy got saved when crews fixed the faults the analytics flagged"
                f"{bot_text.TURN_BREAK}and how many buildings does that company look after?")
    assert "600 commercial buildings" in Composer().compose(question, [reasons, role])


def test_a_side_asked_for_is_answered_by_the_list_its_label_names_under_pros_and_cons():
    # The labels are list introductions (a bold "**Pros**" line), under one heading naming both sides.
    sides = passage("Pros\n- A new field: you will write the playbook rather than follow one.\n- Tangible results you "
                    "can walk a floor and see.\nCons\n- Early mornings. Most robot runs happen before buildings open.\n"
                    "- Thin margins, so every recommendation is judged on cost.", source="robots.md",
                    heading_path="Robot Fleet Analyst > Pros and cons")
    hired = passage("We have hired three robot fleet analysts. You do need to be comfortable in a database and happy "
                    "to spend a day a week on site.", score=0.7, source="robots.md",
                    heading_path="Robot Fleet Analyst > Who gets hired")
    worried = Composer().compose("i'm not a morning person. anything about being a robot fleet analyst i should be "
                                 "worried about?", [hired, sides])
    assert worried.startswith("Cons: Early mornings."), worried
    good = Composer().compose("what's actually good about being a robot fleet analyst?", [hired, sides])
    assert good.startswith("Pros: A new field") and "Early mornings" not in good, good


def test_a_quotations_attribution_line_is_never_the_answer():
    mistake = passage("By far the most common failure is joining invoices to subscriptions, so the revenue is "
                      "double-counted.\nWe mind a lot if you never ask what counts as a cancellation.\n"
                      "— the note I give every new interviewer on my team", source="sql.md",
                      heading_path="The SQL Question > The mistake that fails most candidates")
    answer = Composer().compose("why do so many candidates fail the sql question in that interview?", [mistake])
    assert "— the note" not in answer and "double-counted" in answer, answer


def test_the_part_asked_for_answers_over_another_parts_list():
    # The mistakes are asked for: the preparation list, though a list and ranked higher, is another part.
    prepare = passage("Before the interview:\n- Practise generating a calendar of months and joining date ranges to "
                      "it; it comes up in almost every subscription problem.\n- Learn the difference between "
                      "list-price MRR and invoiced revenue, and be ready to explain which one finance usually reports.",
                      score=0.7, source="sql.md", heading_path="The SQL Question > How to prepare")
    mistake = passage("By far the most common failure is joining invoices to subscriptions and summing amount_usd. A "
                      "subscription with several invoices in one month then appears several times, and the revenue is "
                      "double-counted.", score=0.5, source="sql.md",
                      heading_path="The SQL Question > The mistake that fails most candidates")
    answer = Composer().compose("whats the most common mistake people make on that MRR sql question for analytics "
                                "engineers?", [prepare, mistake])
    assert answer.startswith("By far the most common failure"), answer


def test_a_label_names_its_side_whatever_the_words_and_is_never_quoted_with_the_other_side():
    sides = passage("Advantages:\n- A new field: you will write the playbook.\n- Tangible results you can see.\n"
                    "Disadvantages:\n- Early mornings before buildings open.\n- Thin margins on every contract.",
                    source="robots.md", heading_path="Robot Fleet Analyst > Advantages and disadvantages")
    good = Composer().compose("what are the advantages of being a robot fleet analyst?", [sides])
    assert good.startswith("Advantages: A new field") and "Early mornings" not in good, good
    assert "Disadvantages [" not in good, good  # the other side's label is no part of this one
    catch = Composer().compose("is there a catch to being a robot fleet analyst?", [sides])
    assert catch.startswith("Disadvantages: Early mornings"), catch


def test_an_attribution_is_a_dashed_name_not_a_table_row_with_an_empty_first_cell():
    assert _ATTRIBUTION.match("– Jane Roe, data lead, Leeds") and _ATTRIBUTION.match("— the note I give every new hire")
    assert not _ATTRIBUTION.match("— US: $150K (top decile); Europe: €80K")


def test_a_short_sentence_naming_a_part_is_quoted_when_it_labels_no_list():
    transcript = passage("THEO: Why not just fix the prices?\nDANA: Three reasons. First, the secondary market: if face "
                         "value is too low, resellers capture the difference. Second, a ticket is perishable.",
                         source="tickets.txt", heading_path="Ticket Pricing > The transcript")
    answer = Composer().compose("why don't promoters just sell tickets at one fixed price?", [transcript])
    assert "Three reasons. First, the secondary market" in answer, answer


def test_a_sentence_counting_a_sections_headed_parts_introduces_them_as_its_list():
    # "named five recurring pieces of work", then five `###` parts: the count says the headings are its items.
    work = passage("The people we interviewed named three recurring pieces of work.", heading="Your time",
                   score=0.7, source="rail.md", heading_path="Wagon Data Scientist > Your time",
                   subheadings=["Alarm triage models", "Wheel wear forecasting", "Brake diagnostics"])
    work.metadata["subheadings_of"] = "Your time"
    alarms = passage("Wayside detectors raise alarms by threshold. A data scientist builds models over weeks of "
                     "readings.", heading="Alarm triage models", score=0.6, source="rail.md",
                     heading_path="Wagon Data Scientist > Your time > Alarm triage models")
    answer = Composer().compose("what are the main recurring projects for a wagon data scientist?", [work, alarms])
    assert answer.startswith("The people we interviewed named three recurring pieces of work: Alarm triage models; "
                             "Wheel wear forecasting; Brake diagnostics."), answer
    work.metadata["subheadings"] = work.metadata["subheadings"][:2]  # a count that isn't theirs introduces no list
    assert "Wheel wear forecasting" not in Composer().compose(
        "what are the main recurring projects for a wagon data scientist?", [work, alarms])


def test_a_why_question_is_answered_by_a_reason_not_a_pay_tables_rows():
    pay = passage("Base salary ranges, late 2024:\n- Large aligner maker — Location: US; ML engineer: $165,000; Senior "
                  "ML engineer: $200,000\n- Aligner start-up — Location: Netherlands; ML engineer: €65k; Senior ML "
                  "engineer: €85k", score=0.7, source="aligner.md", heading_path="Aligner ML Engineer > Pay")
    why = passage("Because the regulator and the clinician both expect a qualified person to review each plan, and "
                  "because the rare failures are expensive.", score=0.6, source="aligner.md",
                  heading_path="Aligner ML Engineer > FAQ")
    answer = Composer().compose("why do aligner firms still pay humans to check every plan if the ml is decent?",
                                [pay, why])
    assert answer.startswith("Because the regulator"), answer


def test_the_row_a_question_names_answers_over_rows_sharing_some_of_its_words():
    pay = passage("Typical salaries for analyst roles at UK nursery groups, 2024-25:\n- Junior data analyst — Salary "
                  "range: £27,000 - £32,000; Usual extras: Childcare discount\n- Occupancy analyst — Salary range: "
                  "£34,000 - £42,000; Usual extras: Up to 75% childcare discount\n- Senior occupancy or commercial "
                  "analyst — Salary range: £44,000 - £52,000; Usual extras: Bonus up to 10%\n- Head of planning and "
                  "insight — Salary range: £60,000 - £72,000; Usual extras: Car allowance", source="nursery.md",
                  heading_path="Occupancy Analyst > Pay")
    answer = Composer().compose("occupancy analyst sal (salary) at uk nursery groups?", [pay])
    assert answer.startswith("Occupancy analyst — Salary range: £34,000"), answer
    # Both rows named ("senior" and "loom performance analyst"): neither is left out.
    loom = passage("Pay by level:\n- Loom performance analyst — Base salary: EUR 42,000\n- Senior analyst — Base "
                   "salary: EUR 52,000\n- Trainee — Base salary: EUR 34,000", source="loom.md",
                   heading_path="Loom Analyst > Pay")
    answer = Composer().compose("how much does a senior loom performance analyst make?", [loom])
    assert "EUR 52,000" in answer, answer
    # Nor a row named by a typo no one corrected ("sinoir"): only the trainee is left out.
    rows = _candidates([loom])
    left_out = _rows_not_named("how much does a sinoir loom performance analyst make?", rows)
    assert [c.unit.text.split(" — ")[0] for c in rows if id(c) in left_out] == ["Trainee"]


def test_a_sentence_saying_what_the_profile_covers_answers_nothing():
    intro = passage("This profile covers what the role involves, the interview rounds, the skills hiring teams ask "
                    "for, and pay.", score=0.7, source="aligner.md", heading_path="Aligner ML Engineer")
    rounds = passage("Usually a recruiter call, a coding round in Python, a 3D geometry round and a final meeting with "
                     "the clinical team.", score=0.6, source="aligner.md",
                     heading_path="Aligner ML Engineer > FAQ > What does the interview process look like?")
    answer = Composer().compose("what interview rounds should I expect as an aligner ml engineer?", [intro, rounds])
    assert answer.startswith("Usually a recruiter call"), answer


def test_a_season_is_a_length_of_time_and_a_bonus_may_be_a_share_of_pay():
    season = passage("Most hires said it took about one full season to become useful.", source="bees.md",
                     heading_path="Hive Data Scientist > Q&A")
    week = passage("New hires become useful quickly by reading the hive scales and writing the weekly yard report.",
                   score=0.7, source="bees.md", heading_path="Hive Data Scientist > A typical week")
    answer = Composer().compose("how long until a new hire is actually useful?", [week, season])
    assert answer.startswith("Most hires said it took about one full season"), answer
    pay = passage("Typical pay:\n- Demand analyst — Netherlands: €50,000 - €60,000; UK: £36,000 - £44,000\n- Senior "
                  "forecaster — Netherlands: €62,000 - €75,000; UK: £46,000 - £56,000\nPay sits slightly below general "
                  "retail analytics, but bonuses tied to waste reduction can be meaningful.", score=0.7,
                  source="flowers.md", heading_path="Demand Analyst > Pay")
    bonus = passage("Bonus schemes we saw paid between 5% and 15% of salary, usually linked to the waste percentage.",
                    source="flowers.md", heading_path="Demand Analyst > Pay")
    answer = Composer().compose("how big are the bonuses for flower demand analysts and what are they tied to?",
                                [pay, bonus])
    assert answer.startswith("Bonus schemes we saw paid between 5% and 15%"), answer


def test_walk_me_through_the_stages_asks_for_the_list():
    assert _list_nouns("walk me through the stages of turning a scan into a plan") == {"stage"}
    assert _list_nouns("can you list the main tools?") == {"tool"}


def test_since_a_time_gives_no_reason_and_a_ratio_may_be_written_in_words():
    assert not _CAUSE.search("since early 2023 we have hired six analytics engineers")
    assert not _CAUSE.search("ever since the launch") and _CAUSE.search("since the market is small, pay is lower")
    # "what's the legal ratio for babies?": a ratio in words answers it, a sentence only saying "full ratio" doesn't.
    assert _LEVEL.search("for babies under two it is one adult to three children")
    assert not _LEVEL.search("a room that is one child short of a full ratio")


def test_the_hardest_parts_are_the_hard_part_not_a_sentence_counting_parts():
    job = passage("The job has three parts. First, behaviour scoring. Second, enrichment trials. Third, records.",
                  source="zoo.txt", heading_path="Zoo Analyst > What the job is", score=0.7)
    pay = passage("Pay is modest:\n- Analyst — Base salary: GBP 31,000\n- Senior analyst — Base salary: GBP 38,000",
                  source="zoo.txt", heading_path="Zoo Analyst > Pay", score=0.65)
    hard = passage("Sample sizes are tiny. A zoo may hold three animals of a species. Busy keepers score more "
                   "carelessly.", source="zoo.txt", heading_path="Zoo Analyst > What is hard about it")
    answer = Composer().compose("what are the hardest parts of being a zoo data analyst?", [job, pay, hard])
    first = answer.split("[")[0]
    assert "three animals of a species" in first and "GBP" not in first, answer


def test_the_reviewed_false_positives_stay_out():
    # Rows: a question across the rows, or naming another row's word, keeps them.
    pay = passage("Pay by level:\n- Junior data analyst — Salary: £28,000\n- Data analyst — Salary: £35,000\n- Senior "
                  "data analyst — Salary: £45,000\n- Head of analytics — Salary: £70,000", source="pay.md",
                  heading_path="Data Analyst > Pay")
    answer = Composer().compose("what's the salary range for data analyst roles, from junior to head?", [pay])
    assert "£70,000" in answer and "£28,000" in answer, answer
    # "list" as a verb asks no list; a count of another kind of list introduces no list of the kind asked.
    assert _list_nouns("do companies list salaries in job ads?") == set()
    skills = passage("Five skills come up in every job ad.", heading="Skills you need", source="hydro.md",
                     heading_path="Hydrographic Processor > Skills you need",
                     subheadings=["Geodesy", "Acoustics", "Processing software", "Python", "Patience"])
    skills.metadata["subheadings_of"] = "Skills you need"
    assert "Geodesy" not in Composer().compose("what tools do hydrographic processors use?", [skills])
    assert "Geodesy; Acoustics" in Composer().compose("what skills do hydrographic processors need?", [skills])
    # A year's season, a share in quarters, a causal "since", ratios, an article's own "post-doc".
    assert not bot_text.DURATION.search("in the 2023 season") and not bot_text.DURATION.search("two quarters of the team")
    assert _CAUSE.search("Since 80% of the job is SQL, learn it") and _CAUSE.search("since the early-career market is tight")
    assert not _LEVEL.search("several years in two firms")
    assert not _SIGNPOST.search("This post-doc pays about £38,000") and _SIGNPOST.search("This post covers pay")


def test_items_each_led_by_a_side_asked_answer_a_vs_question():
    # The list split over two chunks by the chunker: its items still set the two sides apart.
    intro = "IR35 is the name for the UK rules that decide how a contractor is taxed:"
    inside = passage(f"{intro}\n- Inside IR35, you are taxed much like an employee, through an umbrella company.",
                     source="ir35.md", heading_path="Contractor Rates > IR35", chunk_index=1, score=0.55)
    outside = passage(f"{intro}\n- Outside IR35, you invoice through your own limited company and are treated as a "
                      "business.", source="ir35.md", heading_path="Contractor Rates > IR35", chunk_index=2, score=0.5)
    both = passage("A senior engineer on £725 a day inside IR35 takes home roughly what one on £600 outside IR35 does.",
                   source="ir35.md", heading_path="Contractor Rates > Rates", score=0.7)
    answer = Composer().compose("what is the difference between inside and outside ir35?", [both, inside, outside])
    assert answer.startswith("Inside IR35, you are taxed much like an employee"), answer


def _items(text: str) -> list[_Candidate]:
    return [c for c in _candidates([passage(text)]) if c.unit.is_item]


def test_an_faq_item_answers_its_own_question_whole_not_as_a_list_of_questions():
    faq = _items("- Do I need legal experience? No. Every analyst we spoke to came from statistics or economics.\n"
                 "- Is the work remote? Mostly. The team meets in the office one day a week.\n"
                 "- What background helps most? Fraud detection and anomaly work.")
    assert _answered_inside("can i get a compliance job without any background in law?", faq[0], faq, set())
    # Unless questions are what is asked for.
    assert not _answered_inside("what questions do readers ask about compliance work?", faq[0], faq, set())


def test_an_item_the_question_names_by_its_whole_name_answers_a_why_alone():
    duties = passage(
        "My week has three parts:\n"
        "- Frost correction. Nothing moves orchard yields like a late frost. Every block report I send is "
        "frost-corrected, or the growers would blame the wrong rootstock.\n"
        "- Block rankings. I rank the blocks on yield per tree, and the best blocks pick twice as much as the worst.\n"
        "- New block forecasts. Before the farm plants a block, I estimate its yield in the fifth year.",
        heading="What I do")
    answer = Composer().compose("why does the orchard analyst frost-correct every block report?", [duties])
    assert "blame the wrong rootstock" in answer, answer
    assert "Block rankings" not in answer, answer



def test_an_item_alone_holding_two_of_the_questions_words_answers_it_not_its_lists_leads():
    steps = _items("- Define the outcome. A meter counted as faulty if an engineer replaced it within a year.\n"
                   "- Clean the address data. The billing and the field-visit systems each kept their own meter codes; "
                   "matching them to the national meter register gave one key for every meter.\n"
                   "- Start simple. A logistic regression with eight features was the first model.")
    assert _answered_inside("how did they join up meter records across billing and field visits?", steps[1], steps,
                            set())
    # A list asked for is the list, whichever item holds the question's words.
    assert not _answered_inside("what steps did they take to join up meter records across billing and field visits?",
                                steps[1], steps, set())


def test_an_faq_answer_following_its_q_in_the_same_paragraph_is_quoted():
    faq = passage("Q: Can the job be done fully remote? Rarely. Most depots want you on site at least two days a week "
                  "for the planning meetings.\nQ: Is the sector stable? Less than most. Depots merge and lose contracts "
                  "every year.\nQ: Do I need a forklift licence? No. Nobody on the team has one.", heading="FAQ")
    intro = passage("A depot planning analyst builds the weekly schedule for drivers and vans, and checks it against "
                    "what the depot actually did.", score=0.5)
    answer = Composer().compose("can this job be done remote, 100%?", [faq, intro])
    assert "at least two days a week" in answer


def test_an_interviewers_q_turn_is_not_quoted_where_a_turns_answer():
    transcript = passage("Q: What made you leave banking? I ask because most of our readers are still in banks.\n"
                         "A: The hours. I was working seventy-hour weeks on risk models and saw nobody.\n"
                         "Q: How long did the switch take? Be honest.\nA: About a year, with evening courses.",
                         heading="Interview")
    answer = Composer().compose("why did she leave banking?", [transcript])
    assert "The hours" in answer and "I ask because" not in answer, answer


def test_how_much_out_of_all_of_something_asks_a_share():
    numbers = passage("Stadium data in numbers:\n- Camera footage recorded by a stadium per match — about 40 terabytes\n"
                      "- Share of that footage reviewed again — about 2%\n- Analysts per club — three to five",
                      heading="Numbers")
    answer = Composer().compose("out of all the footage a stadium records, how much actually gets looked at?", [numbers])
    assert "about 2%" in answer, answer
    # "of all" and "of every" ending another phrase ask no share.
    for question in ("first of all, how much experience do I need?", "at the end of every month, how much do I save?",
                     "what is the hardest of all the rounds, and how many questions does it have?"):
        assert _PERCENT not in _kinds_asked(question), question


def test_a_list_cut_to_its_leads_keeps_what_the_best_item_says():
    areas = passage(
        "My projects fall into three areas, and together they explain why a dairy pays for a data scientist at all:\n"
        "- Energy per tonne. Electricity is the biggest variable cost of making cheese, and our plant uses about 300 "
        "kWh per tonne on a good week and much more on a bad one, so every saving shows in the accounts.\n"
        "- Brine mix. Brine is not all alike. Suppliers deliver it by tanker twice a week, and each tanker is logged "
        "with its supplier, its volume and the time it arrived at the yard. Batches differ in price, clarity and, "
        "crucially, in salt content. Salt cannot be taken out once it is in the curd, and too much of it makes the "
        "wheel crack.\n"
        "- Yield. Every percent of milk that ends up as whey instead of cheese is money lost, and the yield model tells "
        "the shift which vat is drifting before the batch is finished.", heading="What I work on")
    answer = Composer().compose("why does the salt content of the brine matter so much at a dairy?", [areas])
    assert "Salt cannot be taken out once it is in the curd" in answer, answer
    assert "each tanker is logged" not in answer, answer  # what it says of something else makes no room
    assert "Energy per tonne; Brine mix." in answer and "; Yield." in answer, answer  # the others by their leads
    assert len(answer.split()) <= 90 + 1, answer  # + "[1]"



def test_what_else_asks_for_the_other_things_a_list_gives():
    # An item with its sub-items, as the chunker writes them ("item — sub-item").
    fixed_base = passage(
        "Five moves that pay off:\n- Benchmark first — Look up the band before the first call.\n"
        "- Trade when the band is fixed — Hospitals set pay bands a year ahead, so when the band is fixed the pay "
        "will not move; ask about the rest of the offer.\n- Trade when the band is fixed — Easier to move: a signing "
        "bonus, a higher grade, a training budget.\n- Trade when the band is fixed — Ask for one or two of them.",
        heading="Negotiating")
    answer = Composer().compose("the band is fixed. what else can I ask for?", [fixed_base])
    assert "a signing bonus" in answer and "a training budget" in answer
    assert _list_nouns("what else can I ask for?") == set()  # a list, of nothing it names


def test_a_question_naming_one_articles_source_is_answered_from_that_article():
    # Two surveys of the same pay: the question names one of them by a name only its article uses.
    other = passage("The median data analyst earned $91,000 a year in our survey.", score=0.8)
    named = passage("Pay data from Tollbridge Research covers 900 data analysts. The median was $98,000.", score=0.6,
                    source="b.md")
    for question in ("what median base salary did the tollbridge survey find for data analysts?",
                     # a follow-up naming none asks of the article its earlier turn named
                     f"who ran the tollbridge survey?{bot_text.TURN_BREAK}what median pay did analysts report?"):
        answer = Composer().compose(question, [other, named])
        assert "$98,000" in answer and "$91,000" not in answer, (question, answer)
    # Two names compared keep both articles.
    third = passage("Figures from Routewise Labs put the median analyst at $95,000.", score=0.5, source="c.md")
    answer = Composer().compose("what median pay did tollbridge and routewise find for analysts?", [other, named, third])
    assert "Tollbridge" in answer and "Routewise" in answer and "$91,000" not in answer, answer


@pytest.mark.parametrize("text, question, named", [
    ("Figures from Tollbridge Research cover 900 analysts.", "what did tollbridge find?", {"b.md"}),
    ("Most loops include one QPT round.", "is there a qpt round?", None),  # an acronym
    ("Consultants analyse data for clients.", "how long does it take to analyse churn?", None),  # spelt another way
    ("Upskilling is a buzzword now.", "will my employer pay for upskilling?", None),  # opens a sentence only
    ("He later became a Senior Analyst.", "how much do senior analysts earn?", None),  # a common word
])
def test_a_name_is_a_rare_word_written_with_capitals_inside_a_sentence(text: str, question: str, named: set | None):
    candidates = _candidates([passage("Analysts earn about $80,000."), passage(text, source="b.md")])
    assert _articles_named(question, candidates) == named


def test_whether_someone_from_the_readers_background_gets_in_is_answered_by_where_people_came_from():
    story = passage("Before this job I drove a van for three years.", score=0.8)
    route = passage("Several of our analysts came from the warehouse floor or the driver pool.", score=0.6, source="b.md")
    for question in ("i drive a delivery van and i'm learning sql at night. is it realistic to move into logistics analytics?",
                     "i drive a delivery van and know some sql. would a logistics analytics team consider me?",
                     "i drive a delivery van. could someone like me ever get into logistics analytics?"):
        assert Composer().compose(question, [story, route]).startswith("Several of our analysts came from"), question
    # Becoming one ("how someone can get started as a data scientist") is no place people came from.
    assert not any(kind.search("Readers ask how someone can get started as a data scientist.")
                   for kind in _kinds_asked("is it realistic for someone like me to get into data science?"))


def test_a_row_whose_first_cell_is_empty_is_a_table_row():
    # "| | 12,000 workers |": the loaders write it from its dash on (a "why" takes no table row for a reason).
    assert _is_table_row("— Cut announced: 12,000 workers (a week earlier)")
    assert _is_table_row("Microsoft — Cut announced: 10,000 workers")
    assert not _is_table_row("— the note I give every new interviewer")
