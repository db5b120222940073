"""Widgets of the queue page drawn without the template engine.

A queue page draws a checkbox per row and a few selects in its action bar; through Django's
widget templates those cost more than the rows' data. These render the same HTML directly.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    """A flat <select> (no option groups), as Django draws it, in one pass."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {"" if value is None else str(value)}
        final_attrs = self.build_attrs(self.attrs, attrs)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(key), " selected" if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final_attrs), options)


def flatten_selects(form: forms.Form) -> None:
    """Swap every plain select of the form for a FastSelect with the same choices."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            field.widget = FastSelect(attrs=field.widget.attrs, choices=field.widget.choices)


def row_checkbox(pk: int, label: str) -> str:
    """The action checkbox of one row, as ModelAdmin.action_checkbox draws it."""
    return format_html(
        '<input type="checkbox" name="_selected_action" value="{}" class="action-select" '
        'aria-label="Select this object for an action - {}">',
        pk,
        label,
    )
