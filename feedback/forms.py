from django import forms

from feedback.models import Touchpoint
from feedback.services import Intake
from helpdesk.models import Audience, Category, Channel
from helpdesk.services.attachments import (
    ALLOWED_TYPES,
    MAX_ATTACHMENTS,
    AttachmentRefused,
    attachments_check,
)
from statusfeed.forms import MultipleFileField, MultipleFileInput


class FeedbackForm(forms.Form):
    audience = forms.ChoiceField(
        choices=Audience.choices,
        initial=Audience.CUSTOMER,
        widget=forms.RadioSelect,
        label="I am a",
    )
    subject = forms.CharField(max_length=200)
    message = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}))
    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="Not sure: let us sort it",
        label="What is it about?",
    )
    touchpoint = forms.ChoiceField(
        choices=[("", "—"), *Touchpoint.choices], required=False, label="Where did it happen?"
    )
    email = forms.EmailField(
        required=False, help_text="We send your reference and a link to follow your request."
    )
    name = forms.CharField(max_length=200, required=False)
    anonymous = forms.BooleanField(
        required=False,
        label="Send anonymously",
        help_text="Employees only: we keep no name and no email, so we cannot write back.",
    )
    files = MultipleFileField(
        required=False,
        label="Attach files",
        help_text=f"Up to {MAX_ATTACHMENTS} files of 10 MB: " + ", ".join(sorted(ALLOWED_TYPES)),
        widget=MultipleFileInput(attrs={"accept": ",".join(sorted(ALLOWED_TYPES))}),
    )
    # A honeypot: hidden from people, filled in by bots that fill in everything.
    website = forms.CharField(required=False, label="Leave this empty")

    def clean_subject(self) -> str:
        return " ".join(self.cleaned_data["subject"].split())

    def clean_files(self):
        try:
            return attachments_check(self.cleaned_data["files"])
        except AttachmentRefused as refused:
            raise forms.ValidationError(str(refused)) from refused

    def clean(self):
        data = super().clean()
        if data.get("anonymous") and data.get("audience") != Audience.EMPLOYEE:
            self.add_error("anonymous", "Only employees may send feedback anonymously.")
        elif not data.get("anonymous") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", "Please give your email so we can reply.")
        return data

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def intake(self) -> Intake:
        data = self.cleaned_data
        anonymous = data["anonymous"]
        return Intake(
            subject=data["subject"],
            message=data["message"],
            email="" if anonymous else data["email"].lower(),
            name="" if anonymous else " ".join(data["name"].split()),
            category=data["category"],
            channel=Channel.WEB,
            touchpoint=data["touchpoint"],
            audience=data["audience"],
            anonymous=anonymous,
        )
