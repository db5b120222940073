"""The workspace forms' renderer: Django's, with its most drawn templates written in Python.

A ticket page draws a dozen labels and error lists (most of them empty), a radio choice, a
text area, a file input and three wrapped selects, each through Django's template engine (an
include or three apiece): more than the page's data costs. This renderer draws those
templates' HTML directly from the context the widgets build, and hands every other template,
or a case it does not draw (a file already uploaded, a wrapper with links, a form's error
dict), to Django. The output is the same (tests/helpdesk/test_workspace_drawing.py
holds it to Django's own).
"""

from collections.abc import Callable
from html import escape

from django.forms.renderers import DjangoTemplates
from django.forms.utils import ErrorList
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime

INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "file",
    )
)
OPTION_TEMPLATES = frozenset(
    ("django/forms/widgets/radio_option.html", "django/forms/widgets/checkbox_option.html")
)


def _var(value) -> str:
    """`{{ value }}`: localized (a number, a date) and escaped unless safe, as the engine does."""
    return conditional_escape(localize(template_localtime(value)))


def _shown(value) -> str:
    """`{{ value|stringformat:'s' }}`: the value as text, escaped unless it is safe already."""
    return value if isinstance(value, SafeData) else escape(str(value))


def attrs_html(attrs: dict | None) -> str:
    """What django/forms/attrs.html and django/forms/widgets/attrs.html write."""
    if not attrs:
        return ""
    return "".join(
        f" {_var(name)}" if value is True else f' {_var(name)}="{_shown(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_shown(value)}"'
    return (
        f'<input type="{_var(widget["type"])}" '
        f'name="{_var(widget["name"])}"{shown}{attrs_html(widget["attrs"])}>'
    )


def _input_option(option: dict) -> str:
    # An included template keeps its file's last newline: input.html's, input_option.html's
    # and radio_option.html's (or checkbox_option.html's) are all in the option.
    if not option["wrap_label"]:
        return f"{_input(option)}\n\n\n"
    id_ = option["attrs"].get("id")
    label_for = f' for="{_var(id_)}"' if id_ else ""
    return f"<label{label_for}>{_input(option)}\n {_var(option['label'])}</label>\n\n"


def _multiple_input(widget: dict) -> str | None:
    id_, css = widget["attrs"].get("id"), widget["attrs"].get("class")
    parts = [
        "<div",
        f' id="{_var(id_)}"' if id_ else "",
        f' class="{_var(css)}"' if css else "",
        ">",
    ]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_var(group)}</label>")
        for option in options:
            if option["template_name"] not in OPTION_TEMPLATES:
                return None
            parts.append(f"<div>\n    {_input_option(option)}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    value = widget["value"]
    shown = _var(value) if value else ""
    return (
        f'<textarea name="{_var(widget["name"])}"{attrs_html(widget["attrs"])}>\n{shown}</textarea>'
    )


def _clearable_file_input(widget: dict) -> str | None:
    if widget["is_initial"]:
        return None  # a file already there: its link and "clear" box are Django's to draw
    return (
        f'<input type="{_var(widget["type"])}" '
        f'name="{_var(widget["name"])}"{attrs_html(widget["attrs"])}>'
    )


def _label(context: dict) -> str:
    label = _var(context["label"])
    if not context["use_tag"]:
        return label
    tag = _var(context["tag"])
    return f"<{tag}{attrs_html(context['attrs'])}>{label}</{tag}>"


def _error_list(context: dict) -> str | None:
    errors = context["errors"]
    if not isinstance(errors, ErrorList):
        return None  # a form's error dict: Django's template
    if not errors:
        return ""
    field_id = errors.field_id
    target = f' id="{_var(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_var(error)}</li>" for error in errors)
    return f'<ul class="{_var(context["error_class"])}"{target}>{items}</ul>'


def _related_widget_wrapper(context: dict) -> str | None:
    links = ("can_add_related", "can_change_related", "can_delete_related", "can_view_related")
    limit = context["model_has_limit_choices_to"]
    if any(context[name] for name in links) or callable(limit):
        return None  # links to the related admin: Django's template draws them
    model_ref = "" if limit else f'data-model-ref="{_var(context["model_name"])}"'
    return (
        f'<div class="related-widget-wrapper" {model_ref}>\n'
        f"    {_var(context['rendered_widget'])}\n    \n        \n    \n</div>"
    )


DRAWN: dict[str, Callable[[dict], str | None]] = {
    **{name: lambda context: _input(context["widget"]) for name in INPUT_TEMPLATES},
    "django/forms/widgets/radio.html": lambda context: _multiple_input(context["widget"]),
    "django/forms/widgets/checkbox_select.html": lambda context: _multiple_input(context["widget"]),
    "django/forms/widgets/multiple_input.html": lambda context: _multiple_input(context["widget"]),
    "django/forms/widgets/textarea.html": lambda context: _textarea(context["widget"]),
    "django/forms/widgets/clearable_file_input.html": lambda context: _clearable_file_input(
        context["widget"]
    ),
    "django/forms/label.html": _label,
    "django/forms/errors/list/ul.html": _error_list,
    "admin/widgets/related_widget_wrapper.html": _related_widget_wrapper,
}


class WorkspaceRenderer(DjangoTemplates):
    """Django's template renderer, drawing the templates in DRAWN without the engine."""

    def render(self, template_name, context, request=None):
        draw = DRAWN.get(template_name)
        drawn = draw(context) if draw is not None else None
        if drawn is None:
            return super().render(template_name, context, request)
        return drawn
