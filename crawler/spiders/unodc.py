"""Press releases of the UNODC (www.unodc.org). Arguments: see crawler.spiders.base."""

from crawler.spiders.base import ReleaseSpider


class UnodcSpider(ReleaseSpider):
    name = "unodc"
