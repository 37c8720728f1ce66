"""Tool argument models as JSON Schema, the way tools/list shows them: inline, without titles or null noise."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from ..jsonshape import as_dict, as_list


class _PlainJsonSchema(GenerateJsonSchema):
    """Optional fields are shown as their type (not `anyOf [T, null]`), without titles or null defaults."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> dict[str, Any]:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> dict[str, Any]:
        generated = super().default_schema(schema)
        if generated.get("default", ...) is None:
            generated.pop("default")
        return generated


def tool_input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """An inline JSON Schema (no `$ref`, no titles) for a tool's arguments."""
    schema = model.model_json_schema(by_alias=True, schema_generator=_PlainJsonSchema)
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            mapping = as_dict(node)
            ref = mapping.get("$ref")
            if isinstance(ref, str):
                return inline(definitions[ref.rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in mapping.items() if key != "title"}
        if isinstance(node, list):
            return [inline(item) for item in as_list(node)]
        return node

    result: dict[str, Any] = inline(schema)
    return result
