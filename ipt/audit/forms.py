from django import forms


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label="Who (email contains)", required=False, max_length=254)
    action = forms.CharField(label="Action starts with", required=False, max_length=80)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
