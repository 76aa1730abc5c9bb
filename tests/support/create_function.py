"""Creates a Lambda function in the emulator, as a user's existing backend would be (for `lambda:` routes).

Usage: python create_function.py ENDPOINT NAME   (prints the function ARN)
"""

import io
import sys
import zipfile

import boto3

endpoint, name = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
iam = boto3.client("iam", **kw)
lam = boto3.client("lambda", **kw)
role = f"{name}-role"
try:
    iam.create_role(RoleName=role, AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')
except iam.exceptions.EntityAlreadyExistsException:
    pass
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("index.py", "def handler(event, context):\n    return {'statusCode': 201}\n")
try:
    out = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=f"arn:aws:iam::123456789012:role/{role}",
        Handler="index.handler",
        Code={"ZipFile": buf.getvalue()},
    )
    print(out["FunctionArn"])
except lam.exceptions.ResourceConflictException:
    print(lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
