"""StreamField blocks for information and advice, each rendered as a GOV.UK component."""

from wagtail import blocks

RICH_TEXT_FEATURES = ["bold", "link", "ol", "ul"]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=120)
    size = blocks.ChoiceBlock(choices=[("l", "Large"), ("m", "Medium"), ("s", "Small")], default="m")

    class Meta:
        icon = "title"
        template = "cms/blocks/heading.html"


class DetailsBlock(blocks.StructBlock):
    summary = blocks.CharBlock(max_length=120, help_text="The link text people click to open it.")
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "collapse-down"
        template = "cms/blocks/details.html"


class AdviceStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, template="cms/blocks/paragraph.html")
    inset = blocks.TextBlock(help_text="Something people should not miss.", template="cms/blocks/inset.html")
    warning = blocks.TextBlock(help_text="Something people must know to avoid harm or a penalty.",
                               template="cms/blocks/warning.html")
    details = DetailsBlock()
