"""Unit tests of scripts/iam-check.py's rules, on made-up calls and policies."""

import importlib.util
import os
import unittest

spec = importlib.util.spec_from_file_location(
    "iam_check", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "iam-check.py"))
iam_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(iam_check)


def policy(*actions, deny=()):
    statements = [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]
    if deny:
        statements.append({"Effect": "Deny", "Action": list(deny), "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def call(command, *actions):
    return {"command": command, "service": "X", "operation": "Y", "actions": list(actions)}


class IamCheckTest(unittest.TestCase):
    def test_every_needed_action_allowed_and_every_allowed_one_needed(self):
        calls = [call("plan", "ssm:GetParameter"), call("deploy", "ssm:PutParameter", "ssm:GetParameter")]
        policies = {"read-only.json": policy("ssm:GetParameter"),
                    "deploy.json": policy("ssm:GetParameter", "ssm:PutParameter", "ssm:AddTagsToResource")}
        self.assertEqual(iam_check.check(calls, policies), [])

    def test_a_missing_grant_and_an_unused_one_are_reported(self):
        calls = [call("plan", "ssm:GetParameter", "s3:GetObject"), call("deploy", "ssm:GetParameter")]
        policies = {"read-only.json": policy("ssm:GetParameter", "kms:Sign", deny=("kms:Decrypt",)),
                    "deploy.json": policy("ssm:*")}
        self.assertEqual(iam_check.check(calls, policies), [
            "read-only.json: s3:GetObject is needed by plan (X Y) and not allowed",
            "read-only.json: kms:Sign is allowed and no command it is for called it in the suite",
            "deploy.json: s3:GetObject is needed by plan (X Y) and not allowed",
        ])

    def test_a_command_the_read_only_policy_is_not_for_is_not_held_to_it(self):
        calls = [call("plan", "ssm:GetParameter"), call("deploy", "ssm:PutParameter", "ssm:GetParameter")]
        policies = {"read-only.json": policy("ssm:GetParameter"),
                    "deploy.json": policy("ssm:GetParameter", "ssm:PutParameter")}
        self.assertEqual(iam_check.check(calls, policies), [])


if __name__ == "__main__":
    unittest.main()
