"""The change a finding asks for, written in the tool's own language: an HCL block or
attribute (Terraform), a CloudFormation/SAM property in YAML or JSON (as the template is
written), or a CDK prop with the escape hatch that sets the same CloudFormation property on the
synthesized resource. A snippet is data: its lines, and one line for a fix step; each renderer
makes it safe like any outside text (values in it come from the template)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mtls_doctor.iac.model import IacDomain, Where

#: the padding HCL lines carry to align their `=`
_ALIGN = re.compile(r"(?<=\w)\s{2,}= ")


@dataclass(frozen=True)
class Snippet:
    """A change in one language (`hcl`, `yaml`, `json`, `typescript`): its lines."""

    language: str
    lines: tuple[str, ...]
    #: the change as one line that is still valid in its language (JSON, which is also YAML's
    #: flow style); None where the language has none (HCL blocks need their newlines)
    flow: str | None = None

    def one_line(self) -> str:
        """The change on one line, for a fix step: its flow form, else the lines joined (to
        read, not to paste: `lines` is what to paste)."""
        if self.flow is not None:
            return self.flow
        return " ".join(_ALIGN.sub(" = ", x.strip(), count=1) for x in self.lines if x.strip())


def hcl_string(text: str) -> str:
    """A quoted HCL string literal: quotes, backslashes, newlines and template sequences
    (`${`, `%{`) escaped, so the value stays a literal."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + out.replace("${", "$${").replace("%{", "%%{") + '"'


class Raw(str):
    """An HCL expression written as it is (a reference, `true`, a list), not quoted."""


def _hcl_value(v: Any) -> str:
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_hcl_value(x) for x in v) + "]"
    return hcl_string(str(v))


def hcl(body: Mapping[str, Any], indent: int = 0) -> list[str]:
    """HCL lines: a nested mapping is a block, anything else an attribute."""
    pad = "  " * indent
    lines: list[str] = []
    width = max((len(k) for k, v in body.items() if not isinstance(v, Mapping)), default=0)
    for k, v in body.items():
        if isinstance(v, Mapping):
            lines.append(f"{pad}{k} {{")
            lines += hcl(v, indent + 1)
            lines.append(f"{pad}}}")
        else:
            lines.append(f"{pad}{k:<{width}} = {_hcl_value(v)}")
    return lines


def yaml_lines(body: Any, indent: int = 0) -> list[str]:
    """YAML lines of a nested mapping or list; scalars are JSON scalars (valid YAML)."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(body, Mapping):
        for k, v in body.items():
            if isinstance(v, Mapping | list) and v:
                lines.append(f"{pad}{k}:")
                lines += yaml_lines(v, indent + 1)
            else:
                lines.append(f"{pad}{k}: {json.dumps(v)}")
    elif isinstance(body, list):
        for item in body:
            sub = yaml_lines(item, indent + 1)
            first = sub[0].lstrip() if sub else "null"
            lines.append(f"{pad}- {first}")
            lines += sub[1:]
    else:
        lines.append(f"{pad}{json.dumps(body)}")
    return lines


def cfn(body: Mapping[str, Any], json_source: bool) -> Snippet:
    """A CloudFormation property change in the template's own syntax."""
    flow = json.dumps(body)  # valid JSON, and valid YAML (its flow style), on one line
    if json_source:
        return Snippet("json", tuple(json.dumps(body, indent=2).splitlines()), flow)
    return Snippet("yaml", tuple(yaml_lines(body)), flow)


def tf(body: Mapping[str, Any]) -> Snippet:
    """A Terraform change (HCL)."""
    return Snippet("hcl", tuple(hcl(body)))


def cdk(where: Where, prop_path: str, value: Any, l2: Sequence[str] = ()) -> Snippet:
    """A CDK change: the L2 prop when the construct has one, and the escape hatch that sets
    the CloudFormation property on the synthesized resource whatever the construct."""
    construct = where.cdk_path or where.address
    lines = [*l2]
    if l2:
        lines.append("// or, on the construct that synthesizes it:")
    lines.append(f"// {construct}")
    lines.append("(construct.node.defaultChild as cdk.CfnResource).addPropertyOverride(")
    lines.append(f"  {json.dumps(prop_path)}, {json.dumps(value)});")
    return Snippet("typescript", tuple(lines))


def ts_string(text: str) -> str:
    """A TypeScript string literal."""
    return json.dumps(text)


def for_domain(d: IacDomain, *, hcl_body: Mapping[str, Any], cfn_body: Mapping[str, Any],
               cdk_path: str, cdk_value: Any, cdk_l2: Sequence[str] = ()) -> Snippet:
    """The snippet for a change to a custom domain, in its tool's language (a SAM domain's
    CloudFormation properties go under the API's `Domain`)."""
    if d.tool == "terraform":
        return tf(hcl_body)
    if d.tool == "cdk":
        return cdk(d.where, cdk_path, cdk_value, cdk_l2)
    if d.tool == "sam":
        return cfn({"Domain": cfn_body}, d.json_source)
    return cfn(cfn_body, d.json_source)
