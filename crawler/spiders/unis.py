"""Press releases of the UN Information Service Vienna (unis.unvienna.org).

Arguments: see crawler.spiders.base.
"""

from crawler.spiders.base import ReleaseSpider


class UnisSpider(ReleaseSpider):
    name = "unis"
