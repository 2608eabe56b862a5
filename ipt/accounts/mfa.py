import qrcode
import qrcode.image.svg


def qr_code_svg(data: str) -> str:
    """An inline SVG QR code (no script, no external request: fits the CSP)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")
