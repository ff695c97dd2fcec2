"""Jenkins: deployments from the builds of deployment jobs (the JSON remote access API), from a
file or live."""
from __future__ import annotations

from ....registry.source import Option, SourceSpec, SyncSpec
from ..common import DEFAULT_DEPLOY_PATTERN
from .reader import jenkins_reader
from .sync import TOKEN, USER, jenkins_auth, jenkins_batches, jenkins_events

DEPLOY_WORKFLOW = Option(
    "deploy_workflow", default=DEFAULT_DEPLOY_PATTERN, metavar="GLOB",
    help="the jobs whose builds are deployments, a glob matched against a job's name or full name, case ignored "
         "(where one job is given, every build of it counts)")
SERVICE = Option("service", metavar="NAME", help="every deployment's service", default_help="the job's name")

SOURCE = SourceSpec(
    name="jenkins",
    title="Jenkins builds (JSON)",
    describe="Jenkins `/api/json` of a job (`tree=builds[number,result,timestamp,duration,url]`: every build) or "
             "of a folder, view or the root (`tree=jobs[name,fullName,url,builds[...]]`: the jobs matching "
             "`--deploy-workflow`, default `*deploy*`): a `deploy` at the build's end (timestamp + duration), "
             "SUCCESS `success`, FAILURE and UNSTABLE `failed`, ABORTED, NOT_BUILT and running builds skipped; "
             "service the job's name or `--service`, deploy_id `JOB#NUMBER`. Live sync: `JENKINS_USER` and "
             "`JENKINS_TOKEN`, `--api-url` required, one job with `--job` (`folder/name` or `job/folder/job/name`)",
    reader=jenkins_reader,
    options=(DEPLOY_WORKFLOW, SERVICE),
    sync=SyncSpec(
        credentials=(USER, TOKEN), auth=jenkins_auth, batches=jenkins_batches, events=jenkins_events, api_url="",
        target=Option("job", metavar="FOLDER/NAME",
                      help="sync this job only, every build of it",
                      default_help="every job matching deploy_workflow"),
        options=(DEPLOY_WORKFLOW, SERVICE)),
)
