"""Widgets of the workspace drawn without the template engine.

A queue page draws a checkbox per row and a few selects in its action bar, the ticket page five
selects; through Django's widget templates those cost more than the rows' data. These render
the same HTML directly (tests/helpdesk/test_workspace_rendering.py holds them to it).
"""

from collections.abc import Iterable
from html import escape

from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """Attributes as django/forms/widgets/attrs.html writes them: in order, True bare."""
    return "".join(
        f" {escape(str(name))}" if value is True else f' {escape(str(name))}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class FastSelect(forms.Select):
    """A <select> without option groups, as Django's widget templates draw it, in one pass."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.format_value(value)
        options, selected = [], False
        # Iterated, not list()ed: list() asks a model choice iterator its length, a COUNT query.
        for key, label in self.choices:
            if isinstance(label, (list, tuple)):
                return super().render(name, value, attrs, renderer)  # option groups
            key = str(key)
            # As Select.optgroups: only the first option with the value is selected.
            this = not selected and key in chosen
            selected |= this
            options.append(
                f'\n  <option value="{escape(key)}"{" selected" if this else ""}>'
                f"{conditional_escape(label)}</option>\n"
            )
        final_attrs = self.build_attrs(self.attrs, attrs)
        return mark_safe(
            f'<select name="{escape(name)}"{_attrs(final_attrs)}>{"".join(options)}\n</select>'
        )


class FastHiddenInput(forms.HiddenInput):
    """A hidden input, as Django's widget templates draw it, in one pass."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        shown = "" if value is None else f' value="{escape(str(value))}"'
        rest = _attrs(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<input type="{self.input_type}" name="{escape(name)}"{shown}{rest}>')


def flatten_widgets(fields: Iterable[forms.Field]) -> None:
    """Swap every plain select (also inside the admin's related-object wrapper) and hidden
    input among the fields for its fast twin."""
    for field in fields:
        holder = field.widget if isinstance(field.widget, RelatedFieldWidgetWrapper) else field
        if type(holder.widget) is forms.Select:
            holder.widget = FastSelect(attrs=holder.widget.attrs, choices=holder.widget.choices)
        elif type(holder.widget) is forms.HiddenInput:
            holder.widget = FastHiddenInput(attrs=holder.widget.attrs)


def row_checkbox(pk: int, label: str) -> str:
    """The action checkbox of one row, as ModelAdmin.action_checkbox draws it."""
    return mark_safe(
        f'<input type="checkbox" name="_selected_action" value="{escape(str(pk))}" '
        f'class="action-select" aria-label="Select this object for an action - {escape(label)}">'
    )
