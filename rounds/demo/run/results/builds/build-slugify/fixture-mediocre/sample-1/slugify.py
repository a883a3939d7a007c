# slugify module - makes url slugs
import re
import unicodedata


def slugify(text: str, *, separator: str = "-", max_length: int | None = None, lowercase: bool = True) -> str:
    if type(text) != str:
        raise TypeError("bad text")
    if separator == "":
        raise ValueError("bad separator")
    if max_length != None and max_length < 1:
        raise ValueError("bad value")

    # remove apostrophes
    text = text.replace("'", "")
    text = text.replace("\u2019", "")

    text = unicodedata.normalize("NFKD", text)
    s = ""
    for ch in text:
        if ch.isascii():
            s = s + ch
    # s = s.encode("ascii", "ignore").decode()

    s = re.sub("[^A-Za-z0-9]+", " ", s)
    s = s.strip()
    words = s.split(" ")
    if lowercase == True:
        words = [w.lower() for w in words]
    result = separator.join(words)

    if max_length != None:
        if len(result) > max_length:
            tmp = ""
            for w in words:
                if tmp == "":
                    new = w
                else:
                    new = tmp + separator + w
                if len(new) <= max_length:
                    tmp = new
                else:
                    break
            result = tmp
    return result
