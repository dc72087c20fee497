"""How the customer's return forms draw their widgets: Django's own form templates, through Jinja2.

Django renders each widget, and each option of a select or radio list, through a
template; with its template engine that was about half the time of a page with a
form (the start-a-return page draws ~9 widgets per order line). Django ships every
form template also for Jinja2, with the same markup (only blank lines differ), and
Jinja2 renders them several times faster. Templates that exist only for Django's
engine (the admin's widgets) still render there.

Set per form (``default_renderer = WIDGETS``), not as FORM_RENDERER: the guest-link form
must take the same time whether or not the order exists (tests/accounts/test_guest_code.py),
and with Jinja2 behind it that test measured a difference just over its 1 ms; the sign-in
and guest forms keep Django's renderer until that is understood.
"""

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(BaseRenderer):
    """The renderer forms set for themselves (``default_renderer = WIDGETS``): Jinja2 where a form template
    exists for it, else Django's template engine."""

    def __init__(self):
        self.jinja2 = Jinja2()
        self.django = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)


WIDGETS = FormRenderer()
