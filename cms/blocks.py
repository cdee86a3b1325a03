"""StreamField blocks for information and advice, each rendered as a GOV.UK component."""

import re

from django.utils.safestring import SafeString, mark_safe
from wagtail import blocks
from wagtail.rich_text import RichText

RICH_TEXT_FEATURES = ["bold", "link", "ol", "ul"]

# The editor writes bare <p>, <ul>, <ol> and <a>; GOV.UK Frontend styles only elements that carry
# its classes, so they are added when the text is shown.
_GOVUK_CLASSES = [
    (re.compile(r"<p(?=[\s>])"), '<p class="govuk-body"'),
    (re.compile(r"<ul(?=[\s>])"), '<ul class="govuk-list govuk-list--bullet"'),
    (re.compile(r"<ol(?=[\s>])"), '<ol class="govuk-list govuk-list--number"'),
    (re.compile(r"<a(?=\s)(?![^>]*\bclass=)"), '<a class="govuk-link"'),
]


def govuk_rich_text(value: RichText | str) -> SafeString:
    """Rich text (page links expanded) with GOV.UK Frontend's classes on its paragraphs, lists and
    links."""
    html = str(value)
    for pattern, replacement in _GOVUK_CLASSES:
        html = pattern.sub(replacement, html)
    return mark_safe(html)  # the editor's rich text is already sanitised HTML


class GovukRichTextBlock(blocks.RichTextBlock):
    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["html"] = govuk_rich_text(value)
        return context


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=120)
    size = blocks.ChoiceBlock(choices=[("l", "Large"), ("m", "Medium"), ("s", "Small")], default="m")

    class Meta:
        icon = "title"
        template = "cms/blocks/heading.html"


class DetailsBlock(blocks.StructBlock):
    summary = blocks.CharBlock(max_length=120, help_text="The link text people click to open it.")
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["text"] = govuk_rich_text(value["text"])
        return context

    class Meta:
        icon = "collapse-down"
        template = "cms/blocks/details.html"


class StepBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)


class StepsBlock(blocks.StructBlock):
    """What to do, in order: a numbered list with a short heading for each step."""

    heading = blocks.CharBlock(max_length=120, required=False)
    steps = blocks.ListBlock(StepBlock(), min_num=2)

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["steps"] = [(step["title"], govuk_rich_text(step["text"])) for step in value["steps"]]
        return context

    class Meta:
        icon = "list-ol"
        template = "cms/blocks/steps.html"


class ContactBlock(blocks.StructBlock):
    """Who to ask, laid out like GOV.UK contact details."""

    heading = blocks.CharBlock(max_length=120, default="Contact the council")
    team = blocks.CharBlock(max_length=120, help_text="For example, Adult social care front door.")
    telephone = blocks.CharBlock(max_length=40, required=False)
    email = blocks.EmailBlock(required=False)
    hours = blocks.CharBlock(max_length=200, required=False, help_text="When the line is open.")

    class Meta:
        icon = "mail"
        template = "cms/blocks/contact.html"


class LinkButtonBlock(blocks.StructBlock):
    """A button that takes people to the next thing to do, such as the directory."""

    text = blocks.CharBlock(max_length=80)
    page = blocks.PageChooserBlock()

    class Meta:
        icon = "link"
        template = "cms/blocks/link_button.html"


class AdviceStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = GovukRichTextBlock(features=RICH_TEXT_FEATURES, template="cms/blocks/paragraph.html")
    inset = blocks.TextBlock(help_text="Something people should not miss.", template="cms/blocks/inset.html")
    warning = blocks.TextBlock(help_text="Something people must know to avoid harm or a penalty.",
                               template="cms/blocks/warning.html")
    details = DetailsBlock()
    steps = StepsBlock()
    contact = ContactBlock()
    button = LinkButtonBlock()
