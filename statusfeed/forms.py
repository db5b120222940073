from django import forms


class CustomerReplyForm(forms.Form):
    message = forms.CharField(
        max_length=10_000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Please write a message before sending."},
    )
