"""Survey answers from a form service's CSV export -> ``satisfaction_survey`` events."""
from ....registry.source import Option, SourceSpec
from .reader import survey_reader

SOURCE = SourceSpec(
    name="survey", title="Survey form export (CSV)", reader=survey_reader, order=70,
    options=(Option("score_column", "the column holding the 1-5 satisfaction score", metavar="NAME", required=True),
             Option("time_column", "the submission time column", metavar="NAME",
                    default_help="Typeform's, Microsoft Forms' or Google Forms'"),
             Option("day_first", "dates are day first (31/12/2024)", kind="flag", default=False)),
    reads="a form service's CSV export (Google Forms, Typeform, Microsoft Forms) with `--score-column NAME`",
    describe="each answer a `satisfaction_survey` event",
    records=(
        ("an answer",
         ("`satisfaction_survey` at the submission time (Typeform \"Submit Date (UTC)\", Microsoft Forms "
          "\"Completion time\", Google Forms \"Timestamp\", or `--time-column`), score = the `--score-column` "
          "answer's leading number; service `team`; an empty answer is skipped; respondents' names and addresses are "
          "never read")),
    ),
)
