#!/usr/bin/env python3
"""Holds the AWS operations the test suite made jwtstack send against the policies in docs/iam/.

The suite runs the binary with JWTSTACK_CALL_LOG set (tests/common/mod.rs), so every run appends one JSON line
per operation it sent: the command, the SDK's service and operation, and the IAM actions it needs
(crates/aws/src/iam.rs). Checked, for each policy:
- every action a command the policy is for needed is allowed by one of its Allow statements;
- every action it allows was needed by one of those commands somewhere in the suite, or is one AWS requires of
  the caller beyond the call's own action (IMPLIED, with where AWS says so).
Resources and conditions are not checked: the suite runs on an emulator, which does not enforce them.

scripts/test.sh runs it after `cargo test`; run alone: python3 scripts/iam-check.py [CALL_LOG].
"""

import fnmatch
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Which commands each policy is for (None: every command that calls AWS).
POLICIES = {
    "read-only.json": {"plan", "status", "outputs", "logs", "verify"},
    "deploy.json": None,
}

# Allowed without a call of that name, and why.
IMPLIED = {
    # "Configuring logging for an HTTP API" (API Gateway Developer Guide): turning an HTTP API's access logging
    # on needs these of the caller, besides apigateway:PATCH on the stage.
    "logs:CreateLogDelivery": "access logging",
    "logs:GetLogDelivery": "access logging",
    "logs:UpdateLogDelivery": "access logging",
    "logs:DeleteLogDelivery": "access logging",
    "logs:ListLogDeliveries": "access logging",
    "logs:PutResourcePolicy": "access logging",
    "logs:DescribeResourcePolicies": "access logging",
    # CreateLogGroup with tags needs logs:TagResource (and, on older accounts, the legacy logs:TagLogGroup):
    # "Actions defined by Amazon CloudWatch Logs", CreateLogGroup's dependent actions.
    "logs:TagResource": "CreateLogGroup with tags",
    "logs:TagLogGroup": "CreateLogGroup with tags",
    # CreateKey with tags needs kms:TagResource ("Actions defined by AWS KMS", CreateKey).
    "kms:TagResource": "CreateKey with tags",
    # PutParameter with tags needs ssm:AddTagsToResource ("Actions defined by AWS Systems Manager").
    "ssm:AddTagsToResource": "PutParameter with tags",
}


def allowed(policy):
    out = []
    for st in policy["Statement"]:
        if st.get("Effect") != "Allow":
            continue
        actions = st["Action"]
        out += [actions] if isinstance(actions, str) else actions
    return out


def grants(patterns, action):
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def check(calls, policies):
    problems = []
    for name, commands in POLICIES.items():
        patterns = allowed(policies[name])
        needed = {}
        for c in calls:
            if commands is None or c["command"] in commands:
                for a in c["actions"]:
                    needed.setdefault(a, set()).add(f"{c['command']} ({c['service']} {c['operation']})")
        for action, by in sorted(needed.items()):
            if not grants(patterns, action):
                problems.append(f"{name}: {action} is needed by {', '.join(sorted(by))} and not allowed")
        for p in sorted(set(patterns)):
            if p in IMPLIED:
                continue
            if not any(fnmatch.fnmatchcase(a.lower(), p.lower()) for a in needed):
                problems.append(f"{name}: {p} is allowed and no command it is for called it in the suite")
    return problems


def main(argv):
    log = argv[1] if len(argv) > 1 else os.path.join(ROOT, "target", "tmp", "jwtstack-calls.jsonl")
    with open(log) as f:
        calls = [json.loads(line) for line in f if line.strip()]
    policies = {}
    for name in POLICIES:
        with open(os.path.join(ROOT, "docs", "iam", name)) as f:
            policies[name] = json.load(f)
    problems = check(calls, policies)
    commands = sorted({c["command"] for c in calls})
    operations = sorted({(c["service"], c["operation"]) for c in calls})
    print(f"iam-check: {len(calls)} logged operations, {len(operations)} distinct, from {', '.join(commands)}")
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
