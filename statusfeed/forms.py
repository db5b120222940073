from django import forms

from helpdesk.services.attachments import (
    ALLOWED_TYPES,
    MAX_ATTACHMENTS,
    AttachmentRefused,
    attachments_check,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class CustomerReplyForm(forms.Form):
    message = forms.CharField(
        max_length=10_000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Please write a message before sending."},
    )
    files = MultipleFileField(
        required=False,
        label="Attach files",
        help_text=f"Up to {MAX_ATTACHMENTS} files of 10 MB: " + ", ".join(sorted(ALLOWED_TYPES)),
        widget=MultipleFileInput(attrs={"accept": ",".join(sorted(ALLOWED_TYPES))}),
    )

    def clean_files(self):
        try:
            return attachments_check(self.cleaned_data["files"])
        except AttachmentRefused as refused:
            raise forms.ValidationError(str(refused)) from refused
