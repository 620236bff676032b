#!/usr/bin/python3
"""Validates recorded HTTP exchanges against a vendor's published OpenAPI document.

Each line of the exchanges file is one JSON object, as the test fakes record them:
  {"method": "POST", "path": "/v2/actions", "query": {"name": "raw%20value"},
   "headers": {"authorization": "Bearer ...", "content-type": "application/json"},
   "body": "<raw request body>", "status": 200, "response_body": "<raw answer>",
   "injected": false}
`injected` marks an answer that a test fault produced (a 503, a hang): its request is still
checked, its answer is not (the fault's status is the test's choice, not the vendor's).

For every exchange it checks, against the operation the method and path name:
  - the operation exists (an undocumented path or method is an error);
  - every required path, query and header parameter is present, no undocumented query parameter is
    sent, and each value matches its schema (query strings coerced to the schema's type);
  - the request body's content type is a documented one, and the body matches its schema
    (JSON, or a form whose values are coerced to the schema's types);
  - with --auth bearer|basic, the Authorization header has that scheme;
  - the answer's status is documented, and its JSON body matches the documented schema.
Schemas are checked with the `jsonschema` package (Debian's python3-jsonschema): OpenAPI 3.1
documents as JSON Schema 2020-12, OpenAPI 3.0 documents with `nullable` rewritten to a null type.
Formats are not asserted (Twilio's own answers carry relative `uri`s that `format: uri` refuses).

Prints one line per problem and a summary "validated N exchanges over M operations"; exit 1 when
any problem is found, 2 for usage errors.
"""

import argparse
import copy
import json
import re
import sys
import urllib.parse

import jsonschema


def load_spec(path):
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    if spec.get("openapi", "").startswith("3.0"):
        spec = rewrite_nullable(copy.deepcopy(spec))
        validator_class = jsonschema.Draft7Validator
    else:
        validator_class = jsonschema.Draft202012Validator
    return spec, validator_class


def rewrite_nullable(node):
    """OpenAPI 3.0's `nullable: true` is JSON Schema's `type: [T, "null"]`."""
    if isinstance(node, dict):
        if node.get("nullable") is True:
            node.pop("nullable")
            if "type" in node and isinstance(node["type"], str):
                node["type"] = [node["type"], "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = node["enum"] + [None]
        for value in node.values():
            rewrite_nullable(value)
    elif isinstance(node, list):
        for value in node:
            rewrite_nullable(value)
    return node


class Spec:
    def __init__(self, path, base_path):
        self.doc, self.validator_class = load_spec(path)
        self.base_path = base_path.rstrip("/")
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        # Literal paths before templated ones, so /actions/attach is not read as /actions/{id}.
        self.routes = []
        for template, item in self.doc.get("paths", {}).items():
            pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "([^/]+)", re.escape(template)) + "$"
            names = re.findall(r"\{([^/]+?)\}", template)
            self.routes.append((len(names), template, re.compile(pattern), names, item))
        self.routes.sort(key=lambda r: r[0])

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            _, node = self.resolver.resolve(node["$ref"])
        return node

    def match(self, path):
        if self.base_path:
            if not path.startswith(self.base_path):
                return None
            path = path[len(self.base_path):]
        for _, template, pattern, names, item in self.routes:
            m = pattern.match(path)
            if m:
                return template, dict(zip(names, (urllib.parse.unquote(v) for v in m.groups()))), item
        return None

    def errors(self, schema, instance):
        validator = self.validator_class(schema, resolver=self.resolver)
        return sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))


def coerce(spec, schema, value):
    """A string from a query or a form, as the schema's type would have it."""
    schema = spec.resolve(schema or {})
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    if "number" in types:
        try:
            return float(value)
        except ValueError:
            pass
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    if "array" in types:
        return [value]
    return value


def describe(error):
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message[:300]}"


def check_exchange(spec, exchange, auth):
    method = exchange["method"].lower()
    path = exchange["path"]
    label = f'{exchange["method"]} {path}'
    found = spec.match(path)
    if not found:
        return None, [f"{label}: no documented path matches"]
    template, path_values, item = found
    operation = item.get(method)
    if operation is None:
        return None, [f"{label}: {exchange['method']} is not documented for {template}"]
    op_label = f'{exchange["method"]} {template}'
    problems = []

    headers = {k.lower(): v for k, v in exchange.get("headers", {}).items()}
    query = {urllib.parse.unquote_plus(k): urllib.parse.unquote_plus(v)
             for k, v in exchange.get("query", {}).items()}
    parameters = [spec.resolve(p) for p in item.get("parameters", []) + operation.get("parameters", [])]
    documented_query = set()
    for p in parameters:
        where, name = p.get("in"), p.get("name")
        if where == "query":
            documented_query.add(name)
            source = query
        elif where == "header":
            source = {k: v for k, v in headers.items()}
            name = name.lower()
        elif where == "path":
            source = path_values
        else:
            continue
        if name not in source:
            if p.get("required"):
                problems.append(f"{op_label}: required {where} parameter {p['name']} is missing")
            continue
        value = coerce(spec, p.get("schema"), source[name]) if where != "header" else source[name]
        for e in spec.errors(p.get("schema", {}), value):
            problems.append(f"{op_label}: {where} parameter {p['name']}: {describe(e)}")
    for name in query:
        if name not in documented_query:
            problems.append(f"{op_label}: query parameter {name} is not documented")

    if auth:
        scheme = {"bearer": "Bearer ", "basic": "Basic "}[auth]
        if not headers.get("authorization", "").startswith(scheme):
            problems.append(f"{op_label}: Authorization is not {scheme.strip()}")

    body = exchange.get("body", "")
    request_body = spec.resolve(operation.get("requestBody", {}))
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if body and not request_body:
        problems.append(f"{op_label}: a request body is sent but none is documented")
    elif request_body:
        content = request_body.get("content", {})
        if not body:
            if request_body.get("required"):
                problems.append(f"{op_label}: the documented request body is missing")
        elif content_type not in content:
            problems.append(f"{op_label}: request content type {content_type!r} is not one of {sorted(content)}")
        else:
            schema = content[content_type].get("schema", {})
            if content_type == "application/json":
                try:
                    instance = json.loads(body)
                except ValueError as e:
                    problems.append(f"{op_label}: request body is not JSON: {e}")
                    instance = None
            else:
                properties = spec.resolve(schema).get("properties", {})
                instance = {k: coerce(spec, properties.get(k), v)
                            for k, v in urllib.parse.parse_qsl(body, keep_blank_values=True)}
            if instance is not None:
                for e in spec.errors(schema, instance):
                    problems.append(f"{op_label}: request body {describe(e)}")

    if not exchange.get("injected"):
        status = str(exchange.get("status"))
        responses = operation.get("responses", {})
        response = responses.get(status) or responses.get(status[0] + "XX") or responses.get("default")
        if response is None:
            problems.append(f"{op_label}: answer status {status} is not documented ({sorted(responses)})")
        else:
            response = spec.resolve(response)
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            answer = exchange.get("response_body", "")
            if schema is not None:
                try:
                    instance = json.loads(answer)
                except ValueError as e:
                    problems.append(f"{op_label}: answer {status} is not JSON: {e}")
                else:
                    for e in spec.errors(schema, instance):
                        problems.append(f"{op_label}: answer {status} {describe(e)}")
    return op_label, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="the OpenAPI document (JSON)")
    parser.add_argument("--base-path", default="", help="the server's path prefix, e.g. /v2")
    parser.add_argument("--auth", choices=["bearer", "basic"], help="the Authorization scheme every request must use")
    parser.add_argument("exchanges", help="JSON lines of recorded exchanges")
    args = parser.parse_args()

    spec = Spec(args.spec, args.base_path)
    operations, problems, count = set(), [], 0
    with open(args.exchanges, encoding="utf-8") as f:
        for line_number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                exchange = json.loads(line)
            except ValueError as e:
                print(f"line {line_number}: not JSON: {e}", file=sys.stderr)
                return 2
            count += 1
            operation, found = check_exchange(spec, exchange, args.auth)
            if operation:
                operations.add(operation)
            problems.extend(f"exchange {line_number}: {p}" for p in found)
    for p in problems:
        print(p)
    print(f"validated {count} exchanges over {len(operations)} operations: {', '.join(sorted(operations))}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
