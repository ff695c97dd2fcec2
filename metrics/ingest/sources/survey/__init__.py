"""Survey answers from a form service's CSV export -> ``satisfaction_survey`` events."""
from .... import schema as s
from ....registry.source import Option, SourceSpec
from .reader import survey_reader

SOURCE = SourceSpec(
    name="survey", title="Survey form export (CSV)", reader=survey_reader, order=70,
    options=(Option("score_column", "the column holding the 1-5 satisfaction score", metavar="NAME", required=True),
             Option("time_column", "the submission time column", metavar="NAME",
                    default_help="Typeform's, Microsoft Forms' or Google Forms'"),
             Option("day_first", "dates are day first (31/12/2024)", kind="flag", default=False),
             Option("capability_column", "the column answering one of DORA's seven AI capabilities (1-5; repeatable; "
                    "CAPABILITY is " + ", ".join(short for _, _, short in s.AI_CAPABILITIES) + ")",
                    kind="pairs", metavar="CAPABILITY=COLUMN",
                    default_help="the columns whose header is a capability's name")),
    reads="a form service's CSV export (Google Forms, Typeform, Microsoft Forms) with `--score-column NAME`",
    describe="each answer a `satisfaction_survey` event; answers to DORA's AI capabilities `ai_capability_*` events",
    records=(
        ("an answer",
         ("`satisfaction_survey` at the submission time (Typeform \"Submit Date (UTC)\", Microsoft Forms "
          "\"Completion time\", Google Forms \"Timestamp\", or `--time-column`), score = the `--score-column` "
          "answer's leading number; service `team`; an empty answer is skipped; respondents' names and addresses are "
          "never read")),
        ("an answer to one of DORA's AI capabilities (a column per capability)",
         ("`ai_capability_<name>` at the submission time, score = the answer's leading number (1-5): the columns "
          "`--capability-column CAPABILITY=COLUMN` names, and those whose header is a capability's name as DORA writes "
          "it (\"Working in small batches\"), its short name (`small-batches`) or its kind; an empty answer is skipped")),
    ),
)
