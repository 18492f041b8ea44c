"""Structural checks of custom resources against their CRDs' openAPIV3Schema (crds/*.json).

The API server prunes unknown fields of a custom resource silently, so a misspelt key would
vanish without an error; here every object schema that does not preserve unknown fields gets
`additionalProperties: false`, and a typo is a finding. OpenAPI's `nullable` becomes a JSON
Schema null type. CEL rules (`x-kubernetes-validations`) are not evaluated.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from labctl.validate.model import Result, ToolMissing
from labctl.validate.tree import Manifest, Tree

NAME = "crd-schema"


def _tighten(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_tighten(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {field: _tighten(sub) for field, sub in value.items()}
        else:
            out[key] = _tighten(value)
    if "properties" in out:
        preserves = out.get("x-kubernetes-preserve-unknown-fields") is True
        if not preserves and "additionalProperties" not in out:
            out["additionalProperties"] = False
    if out.pop("nullable", False) is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


# Keywords whose value maps names to schemas (the map itself is not a schema).
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")


def _carried() -> list[dict[str, Any]]:
    entries = resources.files("labctl.validate").joinpath("crds").iterdir()
    return [json.loads(e.read_text()) for e in entries if e.name.endswith(".json")]


@cache
def known() -> dict[tuple[str, str], dict[str, Any]]:
    """(group, kind) -> {version: tightened schema}, for every CRD we carry."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for crd in _carried():
        versions = {name: _tighten(schema) for name, schema in crd["versions"].items()}
        found[(crd["group"], crd["kind"])] = versions
    return found


@cache
def scopes() -> dict[tuple[str, str], str]:
    """(group, kind) -> "Namespaced" or "Cluster", for every CRD we carry."""
    return {(crd["group"], crd["kind"]): crd.get("scope", "Namespaced") for crd in _carried()}


def carried_apis() -> list[tuple[str, str, list[str]]]:
    """(group, kind, served versions) of every CRD we carry."""
    return [(crd["group"], crd["kind"], list(crd["versions"])) for crd in _carried()]


def in_tree(tree: Tree) -> dict[tuple[str, str], dict[str, Any]]:
    """What the carried CRDs and the tree's own CustomResourceDefinitions (a chart's, with
    --charts) define; the tree's win, being what the cluster will be given."""
    found = dict(known())
    for crd in tree.of_kind("CustomResourceDefinition"):
        spec = crd.obj.get("spec") or {}
        kind = str((spec.get("names") or {}).get("kind", ""))
        versions = {
            str(v.get("name")): _tighten((v.get("schema") or {}).get("openAPIV3Schema") or {})
            for v in spec.get("versions") or []
            if v.get("served", True)
        }
        if kind and versions:
            found[(str(spec.get("group", "")), kind)] = versions
    return found


def _validator(schema: dict[str, Any]) -> Any:
    try:
        import jsonschema  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - installed with the validate extra
        raise ToolMissing("jsonschema", "platform-lab[validate] extra (Python)") from exc
    return jsonschema.Draft7Validator(schema)


def covers(manifest: Manifest, defined: dict[tuple[str, str], Any] | None = None) -> bool:
    return (manifest.group, manifest.kind) in (known() if defined is None else defined)


def validate(tree: Tree) -> Result:
    result = Result(NAME)
    defined = in_tree(tree)
    validators: dict[tuple[str, str, str], Any] = {}
    for manifest in tree.manifests:
        if not covers(manifest, defined):
            continue
        result.checked += 1
        version = manifest.api_version.rpartition("/")[2]
        versions = defined[(manifest.group, manifest.kind)]
        if version not in versions:
            served = ", ".join(sorted(versions))
            result.add(
                f"{manifest.api_version} is not served by the pinned CRD (served: {served})",
                manifest.ref,
                "unknown-version",
            )
            continue
        key = (manifest.group, manifest.kind, version)
        if key not in validators:
            validators[key] = _validator(versions[version])
        errors = sorted(
            validators[key].iter_errors(manifest.obj),
            key=lambda error: list(error.absolute_path),
        )
        for error in errors:
            path = ".".join(str(part) for part in error.absolute_path) or "(root)"
            message = str(error.message).replace(", 'null'", "")[:300]
            result.add(f"{path}: {message}", manifest.ref, "schema")
    return result
