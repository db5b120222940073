"""The ticket page's fieldsets, drawn as Django admin's change form draws them, in one pass.

The admin's admin/includes/fieldset.html weighs a dozen conditions for every field of every
line, and builds each line's fields three times over: on a ticket page that cost more than
the fields' widgets. This writes the same HTML (the change form's `field_sets` block) from the
same AdminForm; tests/helpdesk/test_workspace_drawing.py holds it to Django's template.
"""

from django.contrib.admin.helpers import AdminForm, AdminReadonlyField, Fieldset
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

MULTILINE = '<div class="flex-container form-multiline">'


def _about(field) -> tuple[str, bool, str, str]:
    """A field's name, whether it is hidden, its help text and its label's target, as the
    template reads them from a form field or from a read-only field's dict."""
    if isinstance(field, AdminReadonlyField):
        about = field.field
        return about["name"], about["is_hidden"], about["help_text"], ""
    bound = field.field
    return bound.name, bound.is_hidden, bound.help_text, bound.id_for_label


def _field(field, *, alone: bool) -> str:
    name, hidden, help_text, id_for_label = _about(field)
    errors = "" if alone or field.is_readonly else field.errors()
    classes = ""
    if not alone:
        classes = " fieldBox"
        if name:
            classes += f" field-{conditional_escape(name)}"
        if errors:
            classes += " errors"
        if hidden:
            classes += " hidden"
    if field.is_checkbox:
        classes += " checkbox-row"
        inner = (
            "\n                                "
            f"{field.field}{field.label_tag()}"
            "\n                            "
        )
    else:
        if field.is_readonly:
            shown = (
                '\n                                    <div class="readonly">'
                f"{conditional_escape(field.contents())}</div>\n                                "
            )
        else:
            shown = (
                f"\n                                    {field.field}"
                "\n                                "
            )
        inner = (
            f"\n                                {field.label_tag()}"
            f"\n                                {shown}\n                            "
        )
    help_html = ""
    if help_text:
        target = f' id="{conditional_escape(id_for_label)}_helptext"' if id_for_label else ""
        help_html = (
            f'\n                        <div class="help{" hidden" if hidden else ""}"{target}>\n'
            f"                            <div>{help_text}</div>\n"
            "                        </div>\n                    "
        )
    return (
        f"\n                <div>\n                    {errors}\n"
        f'                        <div class="flex-container{classes}">\n'
        f"                            {inner}\n"
        f"                        </div>\n                    {help_html}\n"
        "                </div>\n            "
    )


def _fieldset(fieldset: Fieldset, index: int) -> str:
    heading_id = f"fieldset-0-{index}-heading"
    name = conditional_escape(fieldset.name) if fieldset.name else ""
    collapsible = bool(name) and fieldset.is_collapsible
    parts = [
        f'<fieldset class="module aligned {conditional_escape(fieldset.classes)}"',
        f' aria-labelledby="{heading_id}"' if name else "",
        ">\n    ",
    ]
    if name:
        parts.append(
            f"\n        {'<details><summary>' if collapsible else ''}\n"
            f'        <h2 id="{heading_id}" class="fieldset-heading">{name}</h2>\n'
            f"        {'</summary>' if collapsible else ''}\n    "
        )
    parts.append("\n    ")
    if fieldset.description:
        parts.append(f'\n        <div class="description">{fieldset.description}</div>\n    ')
    parts.append("\n    ")
    for line in fieldset:
        fields = list(line)
        alone = len(line.fields) == 1
        line_errors = line.errors() if alone else ""
        classes = " errors" if line_errors else ""
        if not line.has_visible_field:
            classes += " hidden"
        classes += "".join(
            f" field-{conditional_escape(name)}"
            for name in (_about(field)[0] for field in fields)
            if name
        )
        parts.append(
            f'\n        <div class="form-row{classes}">\n'
            f"            {line_errors if alone else MULTILINE}\n"
            f"            {''.join(_field(field, alone=alone) for field in fields)}\n"
            f"            {'' if alone else '</div>'}\n"
            "        </div>\n    "
        )
    parts.append(f"\n    {'</details>' if collapsible else ''}\n</fieldset>\n")
    return "".join(parts)


def fieldsets_html(adminform: AdminForm) -> SafeString:
    """What the change form's `field_sets` block writes for this form."""
    drawn = "".join(
        f"\n  {_fieldset(fieldset, index)}\n" for index, fieldset in enumerate(adminform)
    )
    return mark_safe(f"\n{drawn}\n")  # the fields draw themselves; the rest is escaped here
