"""What every server-drawn chart shares: the pygal look and the way it is served as an image."""

from django.http import HttpResponse
from pygal.style import Style

# pygal writes a <style> element into the SVG, which the pages' CSP forbids inline; charts are
# therefore served on their own, as images, with a policy that allows only that.
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def chart_style(*, colors: tuple[str, ...], font_size: int) -> Style:
    """The app's palette and type on white, legible when a phone scales the image down."""
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1b1f24",
        foreground_strong="#1b1f24",
        foreground_subtle="#8c959f",
        opacity="1",
        opacity_hover="1",
        colors=colors,
        font_family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
        label_font_size=font_size,
        major_label_font_size=font_size,
        value_label_font_size=font_size,
        title_font_size=16,
        legend_font_size=font_size,
        tooltip_font_size=font_size,
        no_data_font_size=18,
        guide_stroke_dasharray="2,4",
        major_guide_stroke_dasharray="2,4",
    )


def svg_image_response(svg: bytes | str, filename: str) -> HttpResponse:
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = IMAGE_CSP
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
