# quick slug helper
import re


def slugify(text, separator="-", max_length=None, lowercase=True):
    # make the slug
    if lowercase:
        text = text.lower()
    text = text.replace("'", "")
    slug = re.sub(r"\W+", separator, text).strip(separator)
    if max_length:
        slug = slug[:max_length]
    return slug
