"""Demo drafts of the trilateral working group's report: section texts, recommendations, revisions and comments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoRevision:
    """One saved version of a section's text or of a recommendation."""

    author: str
    title: str
    text: str
    rationale: str = ""
    note: str = ""


@dataclass(frozen=True)
class DemoComment:
    """A comment on a section or recommendation, optionally tied to a paragraph of its current text."""

    author: str
    body: str
    paragraph: int | None = None
    replies: tuple[DemoComment, ...] = ()
    resolved: bool = False


@dataclass(frozen=True)
class DemoRecommendation:
    """A recommendation for a target (a country, "Trilateral", or "" for none) and its revisions, oldest first."""

    target: str
    revisions: tuple[DemoRevision, ...]
    comments: tuple[DemoComment, ...] = ()


@dataclass(frozen=True)
class DemoSection:
    """A report section owned by a subgroup (or by the whole group when ``subgroup`` is None), oldest revision first."""

    subgroup: str | None
    revisions: tuple[DemoRevision, ...]
    recommendations: tuple[DemoRecommendation, ...] = ()
    comments: tuple[DemoComment, ...] = ()


_INTRODUCTION = DemoSection(  # 1. Introduction (group-level)
    subgroup=None,
    revisions=(
        DemoRevision(
            author="eleanor.hayes",
            title="Introduction",
            text=(
                "The alliances that link the United States to Japan and to the Republic of Korea have underpinned "
                "peace in Northeast Asia for seven decades, yet cooperation among all three countries has always "
                "been harder to sustain than either alliance on its own. Trilateral coordination has advanced when "
                "leaders in Washington, Tokyo and Seoul saw the same threat at the same moment, and it has stalled "
                "whenever domestic politics in one capital pulled in another direction.\n\n"
                "The years since 2018 tested that pattern severely. A dispute between Tokyo and Seoul over wartime "
                "history and export controls reached into intelligence sharing; COVID-19 absorbed the attention of "
                "all three governments; and strategic competition between the United States and China has "
                "sharpened choices that Japan and South Korea would prefer not to make. Meanwhile the problems "
                "that none of the three can solve alone have grown: North Korea's expanding missile programme, "
                "fragile supply chains, climate change, and the rules for new technologies and outer space.\n\n"
                "This report is the work of a group of next-generation scholars and practitioners from the three "
                "countries. We divided into three subgroups (domestic constraints; non-traditional security, "
                "focused on pandemics and climate; and new areas of cooperation), and each drafted analysis and "
                "recommendations that the full group then debated.\n\n"
                "Members took part in a personal capacity, and our meetings were held under the Chatham House "
                "Rule. The views here are not those of any employer or government, and not every member endorses "
                "every recommendation."
            ),
            note="First draft",
        ),
        DemoRevision(
            author="kenji.morimoto",
            title="Introduction",
            text=(
                "The alliances that link the United States to Japan and to the Republic of Korea have underpinned "
                "peace in Northeast Asia for seven decades, yet cooperation among all three countries has always "
                "been harder to sustain than either alliance on its own. Trilateral coordination has advanced when "
                "leaders in Washington, Tokyo and Seoul saw the same threat at the same moment, and it has stalled "
                "whenever domestic politics in one capital pulled in another direction.\n\n"
                "The years since 2018 tested that pattern severely, but they have also opened a window. A dispute "
                "between Tokyo and Seoul over wartime history and export controls reached into intelligence "
                "sharing; COVID-19 absorbed the attention of all three governments; and strategic competition "
                "between the United States and China has sharpened choices that Japan and South Korea would prefer "
                "not to make. A new U.S. administration that has put allies at the centre of its Asia strategy, "
                "and leadership transitions due in Tokyo and Seoul, now give all three governments a reason to "
                "reset. The problems that none of them can solve alone have only grown: North Korea's expanding "
                "missile programme, fragile supply chains, climate change, and the rules for new technologies and "
                "outer space.\n\n"
                "This report is the work of a group of next-generation scholars and practitioners from the three "
                "countries. We divided into three subgroups (domestic constraints; non-traditional security, "
                "focused on pandemics and climate; and new areas of cooperation), and each drafted analysis and "
                "recommendations that the full group then debated.\n\n"
                "Members took part in a personal capacity, and our meetings were held under the Chatham House "
                "Rule. The views here are not those of any employer or government, and not every member endorses "
                "every recommendation.\n\n"
                "Our aim is practical. We propose steps that governments, legislatures and societies in the three "
                "countries could take within two to three years, without waiting for a settlement of historical "
                "questions that has eluded far more senior people than ourselves."
            ),
            note="Reworked the 'why now' paragraph and added a statement of our aim",
        ),
        DemoRevision(
            author="organizer",
            title="Introduction",
            text=(
                "The alliances that link the United States to Japan and to the Republic of Korea have underpinned "
                "peace in Northeast Asia for seven decades, yet cooperation among all three countries has always "
                "been harder to sustain than either alliance on its own. Trilateral coordination has advanced when "
                "leaders in Washington, Tokyo and Seoul saw the same threat at the same moment, and it has stalled "
                "whenever domestic politics in one capital pulled in another direction.\n\n"
                "The years since 2018 tested that pattern severely, but they have also opened a window. A dispute "
                "between Tokyo and Seoul over wartime history and export controls reached into intelligence "
                "sharing; COVID-19 absorbed the attention of all three governments; and strategic competition "
                "between the United States and China has sharpened choices that Japan and South Korea would prefer "
                "not to make. A new U.S. administration that has put allies at the centre of its Asia strategy, "
                "and leadership transitions due in Tokyo and Seoul, now give all three governments a reason to "
                "reset. The problems that none of them can solve alone have only grown: North Korea's expanding "
                "missile programme, fragile supply chains, climate change, and the rules for new technologies and "
                "outer space.\n\n"
                "This report is the work of a group of next-generation scholars and practitioners from the three "
                "countries. We divided into three subgroups (domestic constraints; non-traditional security, "
                "focused on pandemics and climate; and new areas of cooperation), and each drafted analysis and "
                "recommendations that the full group then debated.\n\n"
                "Members took part in a personal capacity. The views in this report are not those of any employer "
                "or government, and not every member endorses every recommendation. Our meetings were held under "
                "the Chatham House Rule: participants were free to use what they heard but not to identify who "
                "said it, and remarks quoted in the text are therefore unattributed.\n\n"
                "Our aim is practical. We propose steps that governments, legislatures and societies in the three "
                "countries could take within two to three years, without waiting for a settlement of historical "
                "questions that has eluded far more senior people than ourselves."
            ),
            note="Spelled out what the Chatham House Rule means for readers",
        ),
    ),
    comments=(
        DemoComment(
            author="robert.lindqvist",
            body=(
                "\"A new U.S. administration\" will date quickly. Either name it or say \"the administration that "
                "took office in 2021\". Readers in Seoul will also want to know which transitions you mean."
            ),
            paragraph=2,
            replies=(
                DemoComment(
                    author="eleanor.hayes",
                    body=(
                        "Fair point. I'll leave it generic until the timing of the Japanese and Korean transitions "
                        "is clearer, then fix the wording in one pass."
                    ),
                ),
            ),
        ),
    ),
)


_DOMESTIC_CONSTRAINTS = DemoSection(  # 2. Domestic constraints (subgroup)
    subgroup="Domestic constraints",
    revisions=(
        DemoRevision(
            author="maya.chen",
            title="Domestic constraints",
            text=(
                "Trilateral cooperation is made or unmade at home. Each of the three governments faces domestic "
                "pressures that narrow what it can offer its partners, and those pressures interact: a gesture "
                "that plays well in one capital can cost a leader dearly in another.\n\n"
                "**United States.** Washington's bandwidth for Northeast Asia is thin. The pandemic, economic "
                "recovery and a polarised Congress consume the time of senior officials, and when Asia does "
                "receive attention it is framed above all through competition with China. That framing helps build "
                "bipartisan support for alliance spending, but it risks treating Tokyo and Seoul as instruments of "
                "a China strategy rather than as partners with interests of their own, and it sits uneasily with a "
                "South Korea whose largest trading partner is China.\n\n"
                "**Japan.** Public sentiment toward South Korea has fallen to historic lows. In the Cabinet "
                "Office's 2019 「外交に関する世論調査」, barely a quarter of respondents said they felt close to "
                "South Korea, the weakest result in 41 years. Korean court rulings on wartime labour, and the "
                "dissolution of the foundation created under the 2015 agreement on \"comfort women\", are widely "
                "seen in Japan as reopening settled questions, and few politicians see any benefit in appearing "
                "flexible.\n\n"
                "**Republic of Korea.** Korean views of Japan hardened after Tokyo tightened export controls on "
                "three materials essential to semiconductor production in July 2019, a step most Koreans read as "
                "retaliation for the labour rulings. A consumer boycott under the slogan “가지 않습니다, 사지 "
                "않습니다” (“we don't go, we don't buy”) cut sales of Japanese beer and cars and travel to Japan. "
                "Seoul's decision to end the GSOMIA intelligence-sharing agreement, later suspended, showed how "
                "quickly a trade dispute could reach into security cooperation.\n\n"
                "None of these constraints will disappear soon. Our recommendations therefore aim to manage them "
                "rather than wish them away."
            ),
            note="First draft of the country analysis",
        ),
        DemoRevision(
            author="haruka.sato",
            title="Domestic constraints",
            text=(
                "Trilateral cooperation is made or unmade at home. Each of the three governments faces domestic "
                "pressures that narrow what it can offer its partners, and those pressures interact: a gesture "
                "that plays well in one capital can cost a leader dearly in another.\n\n"
                "**United States.** Washington's bandwidth for Northeast Asia is thin. The pandemic, economic "
                "recovery and a polarised Congress consume the time of senior officials, and when Asia does "
                "receive attention it is framed above all through competition with China. That framing helps build "
                "bipartisan support for alliance spending, but it risks treating Tokyo and Seoul as instruments of "
                "a China strategy rather than as partners with interests of their own, and it sits uneasily with a "
                "South Korea whose largest trading partner is China.\n\n"
                "**Japan.** Public sentiment toward South Korea has fallen to historic lows. In the Cabinet "
                "Office's 2019 「外交に関する世論調査」, barely a quarter of respondents said they felt close to "
                "South Korea, the weakest result in 41 years. Korean court rulings on wartime labour, and the "
                "dissolution of the foundation created under the 2015 agreement on \"comfort women\", are widely "
                "seen in Japan as reopening settled questions, and few politicians see any benefit in appearing "
                "flexible. The picture is not uniform, however: Japanese in their teens and twenties, who have "
                "grown up with Korean music and drama, report markedly warmer feelings than their parents.\n\n"
                "**Republic of Korea.** Korean views of Japan hardened after Tokyo tightened export controls on "
                "three materials essential to semiconductor production in July 2019, a step most Koreans read as "
                "retaliation for the labour rulings. A consumer boycott under the slogan “가지 않습니다, 사지 "
                "않습니다” (“we don't go, we don't buy”) cut sales of Japanese beer and cars and travel to Japan. "
                "Seoul's decision to end the GSOMIA intelligence-sharing agreement, later suspended, showed how "
                "quickly a trade dispute could reach into security cooperation.\n\n"
                "None of these constraints will disappear soon. Our recommendations therefore aim to manage them "
                "rather than wish them away."
            ),
            note="Nuanced the Japan paragraph: opinion differs sharply by generation",
        ),
        DemoRevision(
            author="kim.minjun",
            title="Domestic constraints",
            text=(
                "Trilateral cooperation is made or unmade at home. Each of the three governments faces domestic "
                "pressures that narrow what it can offer its partners, and those pressures interact: a gesture "
                "that plays well in one capital can cost a leader dearly in another.\n\n"
                "**United States.** Washington's bandwidth for Northeast Asia is thin. The pandemic, economic "
                "recovery and a polarised Congress consume the time of senior officials, and when Asia does "
                "receive attention it is framed above all through competition with China. That framing helps build "
                "bipartisan support for alliance spending, but it risks treating Tokyo and Seoul as instruments of "
                "a China strategy rather than as partners with interests of their own, and it sits uneasily with a "
                "South Korea whose largest trading partner is China.\n\n"
                "**Japan.** Public sentiment toward South Korea has fallen to historic lows. In the Cabinet "
                "Office's 2019 「外交に関する世論調査」, barely a quarter of respondents said they felt close to "
                "South Korea, the weakest result in 41 years. Korean court rulings on wartime labour, and the "
                "dissolution of the foundation created under the 2015 agreement on \"comfort women\", are widely "
                "seen in Japan as reopening settled questions, and few politicians see any benefit in appearing "
                "flexible. The picture is not uniform, however: Japanese in their teens and twenties, who have "
                "grown up with Korean music and drama, report markedly warmer feelings than their parents.\n\n"
                "**Republic of Korea.** Korean views of Japan hardened after Tokyo tightened export controls on "
                "three materials essential to semiconductor production in July 2019, a step most Koreans read as "
                "retaliation for the labour rulings. A consumer boycott under the slogan “가지 않습니다, 사지 "
                "않습니다” (“we don't go, we don't buy”) followed; Korean customs data showed imports of Japanese "
                "beer collapsing within months, and travel to Japan fell steeply. The boycott has since softened, "
                "but Korean polls still find large majorities holding unfavourable views of the Japanese "
                "government, if not of Japanese people. Seoul's decision to end the GSOMIA intelligence-sharing "
                "agreement, later suspended, showed how quickly a trade dispute could reach into security "
                "cooperation.\n\n"
                "None of these constraints will disappear soon. Our recommendations therefore aim to manage them "
                "rather than wish them away."
            ),
            note="Sourced the boycott's effect and noted that it has eased, per Prof. Park",
        ),
    ),
    recommendations=(
        DemoRecommendation(
            target="United States",
            revisions=(
                DemoRevision(
                    author="maya.chen",
                    title="Adopt a whole-of-government approach to alliance management",
                    text=(
                        "The U.S. administration should treat the two alliances, and the trilateral relationship "
                        "between them, as a standing priority for the whole government rather than a portfolio of "
                        "the State and Defense Departments alone. The National Security Council should designate a "
                        "senior director with explicit responsibility for trilateral coordination, convene an "
                        "interagency review of the economic, technology and defence policies that affect "
                        "Japan–Korea relations, and ensure that trade and export-control decisions are checked for "
                        "their alliance implications before they are announced.\n\n"
                        "Washington should also describe its Asia policy in terms of what the alliances are for "
                        "(regional stability, open economies and shared rules) and not only in terms of "
                        "competition with China."
                    ),
                    rationale=(
                        "Trilateral friction often begins in agencies that do not think of themselves as alliance "
                        "managers: trade, commerce and finance ministries. The 2019 dispute showed how an economic "
                        "measure can reach into intelligence sharing within weeks. A single point of coordination "
                        "in the White House would give Tokyo and Seoul someone to call, and give Washington early "
                        "warning of trouble."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="choi.jiwoo",
                    title="Adopt a whole-of-government approach to alliance management",
                    text=(
                        "The U.S. administration should treat the two alliances, and the trilateral relationship "
                        "between them, as a standing priority for the whole government rather than a portfolio of "
                        "the State and Defense Departments alone. The National Security Council should designate a "
                        "senior director with explicit responsibility for trilateral coordination, convene an "
                        "interagency review of the economic, technology and defence policies that affect "
                        "Japan–Korea relations, and ensure that trade and export-control decisions are checked for "
                        "their alliance implications before they are announced. Congress can reinforce this by "
                        "requesting an annual briefing from the administration on the state of trilateral "
                        "cooperation.\n\n"
                        "Washington should also describe its Asia policy in terms of what the alliances are for "
                        "(regional stability, open economies and shared rules) and not only in terms of "
                        "competition with China."
                    ),
                    rationale=(
                        "Trilateral friction often begins in agencies that do not think of themselves as alliance "
                        "managers: trade, commerce and finance ministries. The 2019 dispute showed how an economic "
                        "measure can reach into intelligence sharing within weeks. A single point of coordination "
                        "in the White House would give Tokyo and Seoul someone to call, and give Washington early "
                        "warning of trouble."
                    ),
                    note="Added a role for Congress",
                ),
                DemoRevision(
                    author="maya.chen",
                    title="Adopt a whole-of-government approach to alliance management",
                    text=(
                        "The U.S. administration should treat the two alliances, and the trilateral relationship "
                        "between them, as a standing priority for the whole government rather than a portfolio of "
                        "the State and Defense Departments alone. The National Security Council should designate a "
                        "senior director with explicit responsibility for trilateral coordination, convene an "
                        "interagency review of the economic, technology and defence policies that affect "
                        "Japan–Korea relations, and ensure that trade and export-control decisions are checked for "
                        "their alliance implications before they are announced. Congress can reinforce this by "
                        "requesting an annual briefing from the administration on the state of trilateral "
                        "cooperation.\n\n"
                        "Washington should also explain its Asia policy in terms of what the alliances deliver for "
                        "their own publics (stability, prosperity and shared rules), so that competition with "
                        "China is one reason for trilateral cooperation rather than the only one."
                    ),
                    rationale=(
                        "Trilateral friction often begins in agencies that do not think of themselves as alliance "
                        "managers: trade, commerce and finance ministries. The 2019 dispute showed how an economic "
                        "measure can reach into intelligence sharing within weeks. A single point of coordination "
                        "in the White House would give Tokyo and Seoul someone to call, and give Washington early "
                        "warning of trouble."
                    ),
                    note="Softened the China framing so it reads as one reason among several",
                ),
            ),
        ),
        DemoRecommendation(
            target="Trilateral",
            revisions=(
                DemoRevision(
                    author="kim.minjun",
                    title="Separate security cooperation from historical disputes",
                    text=(
                        "Leaders in Tokyo and Seoul should agree, publicly and at the highest level, that defence "
                        "and intelligence cooperation will be kept separate from disputes over history, territory "
                        "or trade. In practice this means keeping GSOMIA in force without annual brinkmanship, "
                        "holding trilateral missile-warning and search-and-rescue exercises on a fixed calendar, "
                        "and maintaining trilateral defence talks at vice-ministerial level even when summits are "
                        "postponed.\n\n"
                        "The United States should support this quietly, as a facilitator rather than a mediator on "
                        "historical questions, where its intervention tends to harden positions on both sides."
                    ),
                    rationale=(
                        "Historical questions will not be settled soon, and neither government can be seen at home "
                        "to trade them away for security benefits. What leaders can do is agree that the security "
                        "relationship is not a bargaining chip. A routine, calendar-driven pattern of cooperation "
                        "is harder to suspend in a moment of anger than ad hoc arrangements."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="haruka.sato",
                    title="Insulate security cooperation from historical disputes",
                    text=(
                        "Leaders in Tokyo and Seoul should agree, publicly and at the highest level, that defence "
                        "and intelligence cooperation will be insulated from disputes over history, territory or "
                        "trade. In practice this means keeping GSOMIA in force without annual brinkmanship, "
                        "holding trilateral missile-warning and search-and-rescue exercises on a fixed calendar, "
                        "and maintaining trilateral defence talks at vice-ministerial level even when summits are "
                        "postponed. Both leaders could invoke the spirit of the 1998 Obuchi–Kim Dae-jung joint "
                        "declaration (日韓共同宣言; 김대중-오부치 선언), which paired an honest reckoning with the "
                        "past with a forward-looking partnership.\n\n"
                        "The United States should support this quietly, as a facilitator rather than a mediator on "
                        "historical questions, where its intervention tends to harden positions on both sides."
                    ),
                    rationale=(
                        "Historical questions will not be settled soon, and neither government can be seen at home "
                        "to trade them away for security benefits. What leaders can do is agree that the security "
                        "relationship is not a bargaining chip. A routine, calendar-driven pattern of cooperation "
                        "is harder to suspend in a moment of anger than ad hoc arrangements."
                    ),
                    note="Changed 'separate' to 'insulate' and recalled the 1998 joint declaration",
                ),
            ),
            comments=(
                DemoComment(
                    author="haruka.sato",
                    body=(
                        "@kim.minjun I've changed \"separate\" to \"insulate\" in the title and text. In Tokyo, "
                        "\"separating\" history from security reads as asking Japan to set aside its legal "
                        "position. Does \"insulate\" work in Seoul too?"
                    ),
                    replies=(
                        DemoComment(
                            author="kim.minjun",
                            body=(
                                "\"Insulate\" is fine. In Korean commentary the familiar phrase is 투트랙 "
                                "(\"two-track\"), which carries the same idea without the baggage. Happy to keep "
                                "your wording."
                            ),
                        ),
                    ),
                ),
            ),
        ),
        DemoRecommendation(
            target="Trilateral",
            revisions=(
                DemoRevision(
                    author="choi.jiwoo",
                    title="Expand exchanges among legislators and their staff",
                    text=(
                        "The three legislatures should establish a regular trilateral exchange for members and "
                        "senior staff, meeting at least annually and rotating among Washington, Tokyo and Seoul. "
                        "It should build on the Japan–Korea parliamentarians' unions (日韓議員連盟 and "
                        "한일의원연맹), which have kept channels open through difficult years, but widen them to "
                        "include members of the U.S. Congress and, deliberately, younger legislators and committee "
                        "staff who will shape policy for the next two decades.\n\n"
                        "Exchanges should focus on concrete shared business: supply-chain legislation, export "
                        "controls, pandemic preparedness and alliance burden-sharing."
                    ),
                    rationale=(
                        "Legislatures increasingly set the terms of alliance policy through budgets, sanctions and "
                        "trade law, yet members in the three countries rarely meet outside crises. Personal "
                        "relationships among legislators and staff can soften domestic reactions to a partner's "
                        "decisions and give governments room to compromise."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="maya.chen",
                    title="Expand exchanges among legislators and their staff",
                    text=(
                        "The three legislatures should establish a regular trilateral exchange for members and "
                        "senior staff, meeting at least annually and rotating among Washington, Tokyo and Seoul. "
                        "It should build on the Japan–Korea parliamentarians' unions (日韓議員連盟 and "
                        "한일의원연맹), which have kept channels open through difficult years, but widen them to "
                        "include members of the U.S. Congress and, deliberately, younger legislators and committee "
                        "staff who will shape policy for the next two decades.\n\n"
                        "Exchanges should focus on concrete shared business: supply-chain legislation, export "
                        "controls, pandemic preparedness and alliance burden-sharing. On the U.S. side, the "
                        "existing congressional study groups on Japan and on Korea could serve as the anchor, with "
                        "joint sessions for members of both."
                    ),
                    rationale=(
                        "Legislatures increasingly set the terms of alliance policy through budgets, sanctions and "
                        "trade law, yet members in the three countries rarely meet outside crises. Personal "
                        "relationships among legislators and staff can soften domestic reactions to a partner's "
                        "decisions and give governments room to compromise."
                    ),
                    note="Named a U.S. anchor for the exchange",
                ),
            ),
        ),
    ),
    comments=(
        DemoComment(
            author="park.sungho",
            body=(
                "Please give a source for the boycott's effect and say whether it is still going on. A Japanese "
                "reader will ask both questions."
            ),
            paragraph=4,
            replies=(
                DemoComment(
                    author="kim.minjun",
                    body=(
                        "Done in the latest revision: I cite the Korean customs data and note that the boycott has "
                        "eased while views of the government have not."
                    ),
                ),
            ),
            resolved=True,
        ),
    ),
)


_NON_TRADITIONAL_SECURITY = DemoSection(  # 3. Non-traditional security: pandemics and climate (subgroup)
    subgroup="Non-traditional security: pandemics and climate",
    revisions=(
        DemoRevision(
            author="ren.nakamura",
            title="Non-traditional security: pandemics and climate",
            text=(
                "COVID-19 has been the largest shared shock to the three societies in a generation, and it exposed "
                "how little the three governments had planned together for a crisis that was not military. Each "
                "country improvised. Korea's rapid testing and contact tracing, branded at home as K-방역, drew "
                "international praise; Japan relied on a cluster-based approach (クラスター対策) and voluntary "
                "restraint; the United States suffered by far the highest death toll of the three. Information was "
                "shared, but mostly through bilateral and informal channels, and competition for masks, testing "
                "reagents and later vaccines was as visible as cooperation.\n\n"
                "Climate change presents a slower but larger test. All three governments have now committed to "
                "carbon neutrality by mid-century, Japan and Korea in October 2020 and the United States in 2021. "
                "All three are also major sources of public finance for energy infrastructure in Southeast Asia, "
                "where choices made in the next decade will lock in emissions for forty years.\n\n"
                "Pandemics and climate are often described as \"soft\" security issues. We disagree. Both threaten "
                "the health and livelihoods of our citizens directly, both draw on the military and civil-defence "
                "resources of the alliances, and both are areas where the three countries bring complementary "
                "strengths: American research capacity, Japanese engineering and finance, and Korean manufacturing "
                "and public-health administration.\n\n"
                "Cooperation here is also politically easier. Publics in all three countries support it, and it "
                "does not require either Tokyo or Seoul to revisit its position on history."
            ),
            note="First draft",
        ),
        DemoRevision(
            author="aoi.kobayashi",
            title="Non-traditional security: pandemics and climate",
            text=(
                "COVID-19 has been the largest shared shock to the three societies in a generation, and it exposed "
                "how little the three governments had planned together for a crisis that was not military. Each "
                "country improvised. Korea's rapid testing and contact tracing, branded at home as K-방역, drew "
                "international praise; Japan relied on a cluster-based approach (クラスター対策) and voluntary "
                "restraint; the United States suffered by far the highest death toll of the three. Information was "
                "shared, but mostly through bilateral and informal channels, and competition for masks, testing "
                "reagents and later vaccines was as visible as cooperation.\n\n"
                "Climate change presents a slower but larger test. All three governments have now committed to "
                "carbon neutrality by mid-century, Japan and Korea in October 2020 and the United States in 2021. "
                "All three are also major sources of public finance for energy infrastructure in Southeast Asia, "
                "where choices made in the next decade will lock in emissions for forty years.\n\n"
                "Pandemics and climate are often described as \"soft\" security issues. We disagree. Both threaten "
                "the health and livelihoods of our citizens directly, both draw on the military and civil-defence "
                "resources of the alliances, and both are areas where the three countries bring complementary "
                "strengths: American research capacity, Japanese engineering and finance, and Korean manufacturing "
                "and public-health administration.\n\n"
                "Cooperation here is also politically easier. Publics in all three countries support it, and it "
                "does not require either Tokyo or Seoul to revisit its position on history. Much of it can be "
                "carried out by local governments, hospitals and universities that already have partners across "
                "the region, with national governments setting the framework and paying for it."
            ),
            note="Added the role of local governments, hospitals and universities",
        ),
    ),
    recommendations=(
        DemoRecommendation(
            target="Trilateral",
            revisions=(
                DemoRevision(
                    author="priya.raman",
                    title="Build resilient supply chains for vaccines and medical goods",
                    text=(
                        "The three governments should map, jointly and in confidence, their dependence on single "
                        "suppliers for vaccines, active pharmaceutical ingredients, diagnostics and personal "
                        "protective equipment, and agree on a short list of goods for which they will coordinate "
                        "stockpiles and surge production in the next emergency. They should commit not to impose "
                        "export restrictions on each other for these goods during a declared public-health "
                        "emergency.\n\n"
                        "Building on the Quad vaccine partnership and COVAX, the three should also co-finance "
                        "vaccine manufacturing and fill-and-finish capacity in Southeast Asia, drawing on Korea's "
                        "contract biomanufacturing industry, Japanese development finance and American technology."
                    ),
                    rationale=(
                        "In 2020 all three countries discovered that they depended on the same few suppliers and "
                        "were competing with one another for scarce goods. Coordinating in advance is cheaper than "
                        "bidding against allies in a crisis, and a pledge among close partners not to restrict "
                        "exports would be a modest but meaningful signal of trust."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="lee.seoyeon",
                    title="Build resilient supply chains for vaccines and medical goods",
                    text=(
                        "The three governments should map, jointly and in confidence, their dependence on single "
                        "suppliers for vaccines, active pharmaceutical ingredients, diagnostics and personal "
                        "protective equipment, and agree by the end of 2022 on a list of no more than twenty "
                        "critical goods for which they will coordinate stockpiles and surge production in the next "
                        "emergency. They should commit not to impose export restrictions on each other for these "
                        "goods during a declared public-health emergency.\n\n"
                        "Building on the Quad vaccine partnership and COVAX, the three should also co-finance "
                        "vaccine manufacturing and fill-and-finish capacity in Southeast Asia, drawing on Korea's "
                        "contract biomanufacturing industry, Japanese development finance and American technology."
                    ),
                    rationale=(
                        "In 2020 all three countries discovered that they depended on the same few suppliers and "
                        "were competing with one another for scarce goods. Coordinating in advance is cheaper than "
                        "bidding against allies in a crisis, and a pledge among close partners not to restrict "
                        "exports would be a modest but meaningful signal of trust."
                    ),
                    note="Made the stockpile commitment concrete and time-bound",
                ),
                DemoRevision(
                    author="ren.nakamura",
                    title="Build resilient supply chains for vaccines and medical goods",
                    text=(
                        "The three governments should map, jointly and in confidence, their dependence on single "
                        "suppliers for vaccines, active pharmaceutical ingredients, diagnostics and personal "
                        "protective equipment, and agree by the end of 2022 on a list of no more than twenty "
                        "critical goods for which they will coordinate stockpiles and surge production in the next "
                        "emergency. They should commit not to impose export restrictions on each other for these "
                        "goods during a declared public-health emergency.\n\n"
                        "Building on the Quad vaccine partnership and COVAX, the three should also co-finance "
                        "vaccine manufacturing and fill-and-finish capacity in Southeast Asia, drawing on Korea's "
                        "contract biomanufacturing industry, Japanese development finance and American technology.\n\n"
                        "Regulators (the U.S. Food and Drug Administration, Japan's PMDA and Korea's Ministry of "
                        "Food and Drug Safety) should deepen reliance arrangements so that a product approved by "
                        "one can be reviewed quickly by the others."
                    ),
                    rationale=(
                        "In 2020 all three countries discovered that they depended on the same few suppliers and "
                        "were competing with one another for scarce goods. Coordinating in advance is cheaper than "
                        "bidding against allies in a crisis, and a pledge among close partners not to restrict "
                        "exports would be a modest but meaningful signal of trust."
                    ),
                    note="Added regulatory cooperation among the three drug agencies",
                ),
            ),
        ),
        DemoRecommendation(
            target="Japan",
            revisions=(
                DemoRevision(
                    author="aoi.kobayashi",
                    title="Lead a trilateral platform for clean-energy finance in Southeast Asia",
                    text=(
                        "Japan should convene a trilateral platform that brings together its development-finance "
                        "institutions, the U.S. International Development Finance Corporation and the "
                        "Export-Import Bank of Korea to co-finance renewable power, grid modernisation and energy "
                        "storage in Southeast Asia. The platform should publish common criteria for what counts as "
                        "transition finance, so that the three do not undercut one another on standards, and "
                        "should give priority to projects that replace planned coal capacity.\n\n"
                        "Japan's Asia Energy Transition Initiative provides a starting point, and Korea's Green "
                        "New Deal offers industrial partners in batteries and offshore wind."
                    ),
                    rationale=(
                        "Japan, Korea and the United States are among the largest sources of public energy finance "
                        "in Southeast Asia, but they have often competed for the same projects. Tokyo and Seoul "
                        "have both pledged to end new public support for unabated coal power abroad. A shared "
                        "platform would turn those pledges into a positive offer and give partner governments a "
                        "credible alternative to coal."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="priya.raman",
                    title="Lead a trilateral platform for clean-energy finance in Southeast Asia",
                    text=(
                        "Japan should convene a trilateral platform that brings together its development-finance "
                        "institutions, the U.S. International Development Finance Corporation and the "
                        "Export-Import Bank of Korea to co-finance renewable power, grid modernisation and energy "
                        "storage in Southeast Asia. The platform should publish common criteria for what counts as "
                        "transition finance, so that the three do not undercut one another on standards, and "
                        "should give priority to projects that replace planned coal capacity.\n\n"
                        "Japan's Asia Energy Transition Initiative provides a starting point, and Korea's Green "
                        "New Deal offers industrial partners in batteries and offshore wind. The platform should "
                        "also fund training for grid operators and energy regulators in partner countries, since "
                        "skilled people are as scarce as capital."
                    ),
                    rationale=(
                        "Japan, Korea and the United States are among the largest sources of public energy finance "
                        "in Southeast Asia, but they have often competed for the same projects. Tokyo and Seoul "
                        "have both pledged to end new public support for unabated coal power abroad. A shared "
                        "platform would turn those pledges into a positive offer and give partner governments a "
                        "credible alternative to coal."
                    ),
                    note="Added training for grid operators and regulators",
                ),
            ),
        ),
        DemoRecommendation(
            target="Republic of Korea",
            revisions=(
                DemoRevision(
                    author="lee.seoyeon",
                    title="Host a trilateral public-health early-warning mechanism",
                    text=(
                        "The Republic of Korea should offer to host a standing trilateral early-warning mechanism "
                        "linking the Korea Disease Control and Prevention Agency, Japan's National Institute of "
                        "Infectious Diseases and the U.S. Centers for Disease Control and Prevention. The "
                        "mechanism would share genomic surveillance data, unusual clusters of respiratory illness, "
                        "and signals from wastewater and animal-health monitoring within agreed time limits, and "
                        "would run a joint tabletop exercise each year.\n\n"
                        "It should be designed to complement the World Health Organization's International Health "
                        "Regulations, and to open to other regional partners once its procedures are established."
                    ),
                    rationale=(
                        "Korea's experience with MERS in 2015 and COVID-19 in 2020 has given it one of the "
                        "region's most capable disease-control bodies, raised to the status of an independent "
                        "agency in 2020. Early, trusted data sharing among three advanced health systems could buy "
                        "days or weeks at the start of the next outbreak, when they matter most."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="ren.nakamura",
                    title="Host a trilateral public-health early-warning mechanism",
                    text=(
                        "The Republic of Korea should offer to host a standing trilateral early-warning mechanism "
                        "linking the Korea Disease Control and Prevention Agency, Japan's National Institute of "
                        "Infectious Diseases and the U.S. Centers for Disease Control and Prevention. The "
                        "mechanism would share genomic surveillance data, unusual clusters of respiratory illness, "
                        "and signals from wastewater and animal-health monitoring within agreed time limits, and "
                        "would run a joint tabletop exercise each year.\n\n"
                        "It should complement, not duplicate, the World Health Organization's International Health "
                        "Regulations: anything shared through the mechanism should also reach WHO through each "
                        "country's national focal point. The mechanism should open to other regional partners once "
                        "its procedures are established."
                    ),
                    rationale=(
                        "Korea's experience with MERS in 2015 and COVID-19 in 2020 has given it one of the "
                        "region's most capable disease-control bodies, raised to the status of an independent "
                        "agency in 2020. Early, trusted data sharing among three advanced health systems could buy "
                        "days or weeks at the start of the next outbreak, when they matter most."
                    ),
                    note="Clarified the link to the IHR after Priya's comment",
                ),
            ),
            comments=(
                DemoComment(
                    author="priya.raman",
                    body=(
                        "@ren.nakamura I worry this reads as a rival to WHO channels. Could we say explicitly that "
                        "anything shared here also goes through the IHR national focal points?"
                    ),
                    paragraph=2,
                    replies=(
                        DemoComment(
                            author="ren.nakamura",
                            body=(
                                "Agreed. I've reworded the second paragraph along those lines; see if it works for "
                                "you."
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ),
)


_NEW_AREAS = DemoSection(  # 4. New areas of cooperation (subgroup)
    subgroup="New areas of cooperation",
    revisions=(
        DemoRevision(
            author="lee.seoyeon",
            title="New areas of cooperation",
            text=(
                "The trilateral relationship has too often been defined by a single question: how to deter and "
                "negotiate with North Korea. That question remains central, but a relationship that meets only to "
                "discuss a threat is brittle. When the three vice foreign ministers met regularly in 2016 and "
                "2017, they sketched a broader agenda that included women's empowerment, global health, "
                "development, energy, cyberspace and space. Much of that agenda lapsed as Japan–Korea relations "
                "deteriorated and summit diplomacy with Pyongyang took centre stage.\n\n"
                "We propose reviving and extending it. The areas we have chosen share three features: each "
                "involves problems that touch the daily lives of citizens in all three countries; each draws on "
                "capabilities the three possess in complementary measure; and none requires Tokyo or Seoul to "
                "alter its position on historical questions.\n\n"
                "Humanitarian assistance to North Korea is the exception that proves the rule. It touches the most "
                "sensitive security question on the agenda, yet coordination among the three donors has been weak, "
                "and a modest, principled effort could do real good for ordinary North Koreans while keeping a "
                "channel open.\n\n"
                "The remaining proposals, on women's empowerment, space, and business and environmental "
                "partnerships, look beyond the peninsula. Korea's 양성평등 (gender equality) policies and Japan's "
                "goal of 「女性が輝く社会」, a society in which women shine, have set national targets that a "
                "trilateral programme could reinforce; all three countries are now signatories of the Artemis "
                "Accords; and their companies already collaborate across supply chains in batteries, "
                "semiconductors and hydrogen."
            ),
            note="First draft",
        ),
        DemoRevision(
            author="jung.haeun",
            title="New areas of cooperation",
            text=(
                "The trilateral relationship has too often been defined by a single question: how to deter and "
                "negotiate with North Korea. That question remains central, but a relationship that meets only to "
                "discuss a threat is brittle. When the three vice foreign ministers met regularly in 2016 and "
                "2017, they sketched a broader agenda that included women's empowerment, global health, "
                "development, energy, cyberspace and space. Much of that agenda lapsed as Japan–Korea relations "
                "deteriorated and summit diplomacy with Pyongyang took centre stage.\n\n"
                "We propose reviving and extending it. The areas we have chosen share three features: each "
                "involves problems that touch the daily lives of citizens in all three countries; each draws on "
                "capabilities the three possess in complementary measure; and none requires Tokyo or Seoul to "
                "alter its position on historical questions.\n\n"
                "Humanitarian assistance to North Korea is the exception that proves the rule. It touches the most "
                "sensitive security question on the agenda, yet coordination among the three donors has been weak, "
                "and a modest, principled effort could do real good for ordinary North Koreans while keeping a "
                "channel open.\n\n"
                "The remaining proposals, on women's empowerment, space, and business and environmental "
                "partnerships, look beyond the peninsula. Korea's 양성평등 (gender equality) policies and Japan's "
                "goal of 「女性が輝く社会」, a society in which women shine, have set national targets that a "
                "trilateral programme could reinforce; all three countries are now signatories of the Artemis "
                "Accords; and their companies already collaborate across supply chains in batteries, "
                "semiconductors and hydrogen, often more smoothly than their governments do."
            ),
            note="Strengthened the private-sector point in the last paragraph",
        ),
        DemoRevision(
            author="james.holloway",
            title="New areas of cooperation",
            text=(
                "The trilateral relationship has too often been defined by a single question: how to deter and "
                "negotiate with North Korea. That question remains central, but a relationship that meets only to "
                "discuss a threat is brittle. At their regular meetings in 2016 and 2017, the three vice foreign "
                "ministers sketched a broader agenda: women's empowerment, global health, development, energy, "
                "cyberspace and space. Much of it lapsed after 2017, as Japan–Korea relations deteriorated and "
                "summit diplomacy with Pyongyang took centre stage.\n\n"
                "We propose reviving and extending it. The areas we have chosen share three features: each "
                "involves problems that touch the daily lives of citizens in all three countries; each draws on "
                "capabilities the three possess in complementary measure; and none requires Tokyo or Seoul to "
                "alter its position on historical questions.\n\n"
                "Humanitarian assistance to North Korea is the exception that proves the rule. It touches the most "
                "sensitive security question on the agenda, yet coordination among the three donors has been weak, "
                "and a modest, principled effort could do real good for ordinary North Koreans while keeping a "
                "channel open.\n\n"
                "The remaining proposals, on women's empowerment, space, and business and environmental "
                "partnerships, look beyond the peninsula. Korea's 양성평등 (gender equality) policies and Japan's "
                "goal of 「女性が輝く社会」, a society in which women shine, have set national targets that a "
                "trilateral programme could reinforce; all three countries are now signatories of the Artemis "
                "Accords; and their companies already collaborate across supply chains in batteries, "
                "semiconductors and hydrogen, often more smoothly than their governments do."
            ),
            note="Tightened the opening paragraph",
        ),
    ),
    recommendations=(
        DemoRecommendation(
            target="Trilateral",
            revisions=(
                DemoRevision(
                    author="james.holloway",
                    title="Coordinate humanitarian assistance to North Korea",
                    text=(
                        "The three governments should establish a standing humanitarian coordination group, "
                        "meeting at working level with UN agencies and non-governmental organisations, to align "
                        "their assistance to North Korea in food security, tuberculosis treatment, maternal and "
                        "child health and, when Pyongyang permits, COVID-19 vaccines. The United States should "
                        "streamline licensing for humanitarian shipments and work with partners on the UN 1718 "
                        "Committee to speed up sanctions exemptions, which can take months even for routine "
                        "medical goods.\n\n"
                        "Assistance should be governed by humanitarian principles and kept distinct from "
                        "denuclearisation negotiations: it should be neither a reward for concessions nor withheld "
                        "as a penalty."
                    ),
                    rationale=(
                        "Humanitarian need in North Korea is severe and has worsened since the border closures of "
                        "2020. Uncoordinated and unpredictable assistance from the three donors has made it easier "
                        "for Pyongyang to play them against one another. A principled, coordinated approach "
                        "protects the credibility of sanctions while showing the North Korean people that the "
                        "three allies are not indifferent to them."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="aoi.kobayashi",
                    title="Coordinate humanitarian assistance to North Korea",
                    text=(
                        "The three governments should establish a standing humanitarian coordination group, "
                        "meeting at working level with UN agencies and non-governmental organisations, to align "
                        "their assistance to North Korea in food security, tuberculosis treatment, maternal and "
                        "child health and, when Pyongyang permits, COVID-19 vaccines. The United States should "
                        "streamline licensing for humanitarian shipments and work with partners on the UN 1718 "
                        "Committee to speed up sanctions exemptions, which can take months even for routine "
                        "medical goods.\n\n"
                        "Assistance should be governed by humanitarian principles and kept distinct from "
                        "denuclearisation negotiations: it should be neither a reward for concessions nor withheld "
                        "as a penalty. The group's terms of reference should acknowledge Japan's concern over the "
                        "abduction issue, so that humanitarian coordination is not seen in Tokyo as setting it "
                        "aside."
                    ),
                    rationale=(
                        "Humanitarian need in North Korea is severe and has worsened since the border closures of "
                        "2020. Uncoordinated and unpredictable assistance from the three donors has made it easier "
                        "for Pyongyang to play them against one another. A principled, coordinated approach "
                        "protects the credibility of sanctions while showing the North Korean people that the "
                        "three allies are not indifferent to them."
                    ),
                    note="Acknowledged Japan's concern over the abduction issue",
                ),
                DemoRevision(
                    author="james.holloway",
                    title="Coordinate humanitarian assistance to North Korea",
                    text=(
                        "The three governments should establish a standing humanitarian coordination group, "
                        "meeting at working level with UN agencies and non-governmental organisations, to align "
                        "their assistance to North Korea in food security, tuberculosis treatment, maternal and "
                        "child health and, when Pyongyang permits, COVID-19 vaccines. The United States should "
                        "streamline licensing for humanitarian shipments and work with partners on the UN 1718 "
                        "Committee to speed up sanctions exemptions, which can take months even for routine "
                        "medical goods.\n\n"
                        "Assistance should be governed by humanitarian principles and kept distinct from "
                        "denuclearisation negotiations: it should be neither a reward for concessions nor withheld "
                        "as a penalty. The three donors should agree common standards for access and monitoring, "
                        "so that no government is asked to accept less than the others. The group's terms of "
                        "reference should acknowledge Japan's concern over the abduction issue, so that "
                        "humanitarian coordination is not seen in Tokyo as setting it aside."
                    ),
                    rationale=(
                        "Humanitarian need in North Korea is severe and has worsened since the border closures of "
                        "2020. Uncoordinated and unpredictable assistance from the three donors has made it easier "
                        "for Pyongyang to play them against one another. A principled, coordinated approach "
                        "protects the credibility of sanctions while showing the North Korean people that the "
                        "three allies are not indifferent to them."
                    ),
                    note="Added access and monitoring standards, per Robert's comment",
                ),
            ),
            comments=(
                DemoComment(
                    author="robert.lindqvist",
                    body=(
                        "Anyone on the Hill will ask first about monitoring and diversion. The text needs a "
                        "sentence on access standards, or it won't survive the first staff briefing."
                    ),
                    resolved=True,
                ),
            ),
        ),
        DemoRecommendation(
            target="Trilateral",
            revisions=(
                DemoRevision(
                    author="aoi.kobayashi",
                    title="Revive the 2017 vice-ministerial agenda on women's empowerment",
                    text=(
                        "The three governments should revive the women's empowerment track of the 2017 "
                        "vice-ministerial agenda and give it a small standing secretariat. Its work should focus "
                        "on three areas where results can be measured: implementing each country's national action "
                        "plan on women, peace and security, including the recruitment of women into diplomatic, "
                        "defence and police services; support for women entrepreneurs and women in science and "
                        "technology; and a trilateral fellowship for mid-career women in foreign and security "
                        "policy.\n\n"
                        "Progress should be reported at each trilateral foreign ministers' meeting, with a short "
                        "public scorecard."
                    ),
                    rationale=(
                        "Women remain markedly under-represented in the security establishments of all three "
                        "countries, and in Japan and Korea the gaps in pay and senior leadership are among the "
                        "widest in the OECD. Each government has set national targets. Pooling experience and "
                        "reporting progress in public would reinforce those targets, and would give a relationship "
                        "usually defined by threats a positive agenda that resonates with younger citizens."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="lee.seoyeon",
                    title="Revive the 2017 vice-ministerial agenda on women's empowerment",
                    text=(
                        "The three governments should revive the women's empowerment track of the 2017 "
                        "vice-ministerial agenda and give it a small standing secretariat. Its work should focus "
                        "on three areas where results can be measured: implementing each country's national action "
                        "plan on women, peace and security, including the recruitment of women into diplomatic, "
                        "defence and police services; support for women entrepreneurs and women in science and "
                        "technology; and a trilateral fellowship for mid-career women in foreign and security "
                        "policy.\n\n"
                        "Progress should be reported at each trilateral foreign ministers' meeting, with a short "
                        "public scorecard. Japan's World Assembly for Women and Korea's annual gender-equality "
                        "week offer existing venues at which a first trilateral ministerial session could be held."
                    ),
                    rationale=(
                        "Women remain markedly under-represented in the security establishments of all three "
                        "countries, and in Japan and Korea the gaps in pay and senior leadership are among the "
                        "widest in the OECD. Each government has set national targets. Pooling experience and "
                        "reporting progress in public would reinforce those targets, and would give a relationship "
                        "usually defined by threats a positive agenda that resonates with younger citizens."
                    ),
                    note="Suggested venues for a first ministerial meeting",
                ),
                DemoRevision(
                    author="jung.haeun",
                    title="Revive the 2017 vice-ministerial agenda on women's empowerment",
                    text=(
                        "The three governments should revive the women's empowerment track of the 2017 "
                        "vice-ministerial agenda and give it a small standing secretariat. Its work should focus "
                        "on three areas where results can be measured: implementing each country's national action "
                        "plan on women, peace and security, including the recruitment of women into diplomatic, "
                        "defence and police services; support for women entrepreneurs and women in science and "
                        "technology; and a trilateral fellowship for mid-career women in foreign and security "
                        "policy.\n\n"
                        "Progress should be reported at each trilateral foreign ministers' meeting, with a short "
                        "public scorecard. Japan's World Assembly for Women and Korea's annual gender-equality "
                        "week offer existing venues at which a first trilateral ministerial session could be held.\n\n"
                        "Business associations in the three countries should be invited to co-host a mentoring "
                        "network for women founders and executives."
                    ),
                    rationale=(
                        "Women remain markedly under-represented in the security establishments of all three "
                        "countries, and in Japan and Korea the gaps in pay and senior leadership are among the "
                        "widest in the OECD. Each government has set national targets. Pooling experience and "
                        "reporting progress in public would reinforce those targets, and would give a relationship "
                        "usually defined by threats a positive agenda that resonates with younger citizens."
                    ),
                    note="Added a business-hosted mentoring network",
                ),
            ),
        ),
        DemoRecommendation(
            target="United States",
            revisions=(
                DemoRevision(
                    author="james.holloway",
                    title="Launch a trilateral space policy dialogue",
                    text=(
                        "The United States should propose a trilateral space policy dialogue among foreign, "
                        "defence and space agencies, building on its bilateral space dialogues with Japan and "
                        "Korea. The first agenda should include sharing space situational awareness data to track "
                        "debris and threats to satellites; interoperability between GPS, Japan's Quasi-Zenith "
                        "Satellite System and the Korean Positioning System now in development; coordination on "
                        "civil lunar exploration under the Artemis Accords, which all three have now signed; and "
                        "common positions in UN discussions on norms of responsible behaviour in space.\n\n"
                        "A shared position on debris-generating anti-satellite tests would be a useful early "
                        "deliverable."
                    ),
                    rationale=(
                        "All three countries depend on satellites for navigation, communications, weather "
                        "forecasting and missile warning, and all three are expanding their civil and military "
                        "space programmes. Korea's work on its own launch vehicle and Japan's creation of a Space "
                        "Operations Squadron show the direction of travel. Coordinating early, before programmes "
                        "harden, is cheaper than reconciling them later."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="lee.seoyeon",
                    title="Launch a trilateral space policy dialogue",
                    text=(
                        "The United States should propose a trilateral space policy dialogue among foreign, "
                        "defence and space agencies, building on its bilateral space dialogues with Japan and "
                        "Korea. The first agenda should include:\n\n"
                        "- sharing space situational awareness data to track debris and threats to satellites;\n"
                        "- interoperability between GPS, Japan's Quasi-Zenith Satellite System and the Korean "
                        "Positioning System now in development;\n"
                        "- coordination on civil lunar exploration under the Artemis Accords, which all three have "
                        "now signed; and\n"
                        "- common positions in UN discussions on norms of responsible behaviour in space.\n\n"
                        "A shared position on debris-generating anti-satellite tests would be a useful early "
                        "deliverable. Commercial satellite operators in the three countries should be invited to "
                        "an economic track of the dialogue."
                    ),
                    rationale=(
                        "All three countries depend on satellites for navigation, communications, weather "
                        "forecasting and missile warning, and all three are expanding their civil and military "
                        "space programmes. Korea's work on its own launch vehicle and Japan's creation of a Space "
                        "Operations Squadron show the direction of travel. Coordinating early, before programmes "
                        "harden, is cheaper than reconciling them later."
                    ),
                    note="Broke the agenda into a list and added commercial operators",
                ),
            ),
            comments=(
                DemoComment(
                    author="jung.haeun",
                    body=(
                        "Satellite makers in Korea and Japan tell us the real obstacle is export licensing for "
                        "components, not policy dialogue. Could we add a line on aligning export controls for "
                        "space hardware?"
                    ),
                ),
            ),
        ),
        DemoRecommendation(
            target="",
            revisions=(
                DemoRevision(
                    author="jung.haeun",
                    title="Build business and environmental partnerships",
                    text=(
                        "Business federations in the three countries, including Keidanren (経団連), the Federation "
                        "of Korean Industries (전경련) and their U.S. counterparts, should establish a trilateral "
                        "business dialogue that meets annually and reports to the three governments. Its first "
                        "tasks should be supply-chain resilience for semiconductors and batteries, common "
                        "standards for hydrogen, and joint investment in third-country infrastructure.\n\n"
                        "Alongside it, cities, universities and civic groups should build environmental "
                        "partnerships on problems the three share: marine plastic litter, transboundary fine dust "
                        "(미세먼지) and coastal adaptation to rising seas. Governments should support these "
                        "partnerships with small grants rather than direct them."
                    ),
                    rationale=(
                        "Companies in the three countries kept working together through the 2019 dispute, and many "
                        "executives are frustrated that politics disrupted supply chains they had built over "
                        "decades. A standing business dialogue would give that constituency a voice. Environmental "
                        "partnerships among cities and civic groups create practical ties that publics can see."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="aoi.kobayashi",
                    title="Build business and environmental partnerships",
                    text=(
                        "Business federations in the three countries, including Keidanren (経団連), the Federation "
                        "of Korean Industries (전경련) and their U.S. counterparts, should establish a trilateral "
                        "business dialogue that meets annually and reports to the three governments. Its first "
                        "tasks should be supply-chain resilience for semiconductors and batteries, common "
                        "standards for hydrogen, and joint investment in third-country infrastructure.\n\n"
                        "Alongside it, cities, universities and civic groups should build environmental "
                        "partnerships on problems the three share: marine plastic litter, transboundary fine dust "
                        "(미세먼지) and coastal adaptation to rising seas. A pilot programme pairing coastal "
                        "prefectures, provinces and states on adaptation planning would be a good start. "
                        "Governments should support these partnerships with small grants rather than direct them."
                    ),
                    rationale=(
                        "Companies in the three countries kept working together through the 2019 dispute, and many "
                        "executives are frustrated that politics disrupted supply chains they had built over "
                        "decades. A standing business dialogue would give that constituency a voice. Environmental "
                        "partnerships among cities and civic groups create practical ties that publics can see."
                    ),
                    note="Made the environmental paragraph more concrete",
                ),
            ),
        ),
    ),
)


_CIVIL_SOCIETY = DemoSection(  # 5. Civil society and dialogue (group-level)
    subgroup=None,
    revisions=(
        DemoRevision(
            author="kenji.morimoto",
            title="Civil society and dialogue",
            text=(
                "Governments set the terms of alliances, but societies sustain them. The most encouraging finding "
                "of our work is that ties among people in the three countries proved more resilient than relations "
                "between governments during the difficult years after 2018.\n\n"
                "Before the pandemic, more than ten million trips a year were made between Japan and Korea. Korean "
                "dramas and music have found a large young audience in Japan, the latest 韓流 (Korean wave) boom, "
                "and Japanese anime, fiction and food remain popular in Korea. Surveys in both countries show that "
                "younger people hold warmer views of the other than their parents do.\n\n"
                "These ties are not self-sustaining. The pandemic halted travel and exchange, and the programmes "
                "that connect students, young professionals and local governments are small and underfunded "
                "relative to their value. Track-II dialogue, including working groups like ours, has also depended "
                "on a handful of foundations.\n\n"
                "The recommendations below are aimed at governments and at the foundations, universities and "
                "companies that fund exchange. Their common premise is that an alliance relationship that exists "
                "only among officials will not survive the next crisis."
            ),
            note="First draft",
        ),
        DemoRevision(
            author="eleanor.hayes",
            title="Civil society and dialogue",
            text=(
                "Governments set the terms of alliances, but societies sustain them. The most encouraging finding "
                "of our work is that ties among people in the three countries have so far proved more resilient "
                "than relations between governments during the difficult years after 2018.\n\n"
                "Before the pandemic, more than ten million trips a year were made between Japan and Korea. Korean "
                "dramas and music have found a large young audience in Japan, the latest 韓流 (Korean wave) boom, "
                "and Japanese anime, fiction and food remain popular in Korea. Surveys in both countries show that "
                "younger people hold warmer views of the other than their parents do. In the United States, "
                "interest in both cultures, and enrolment in Japanese and Korean language courses, has grown over "
                "the past decade.\n\n"
                "These ties are not self-sustaining. The pandemic halted travel and exchange, and the programmes "
                "that connect students, young professionals and local governments are small and underfunded "
                "relative to their value. Track-II dialogue, including working groups like ours, has also depended "
                "on a handful of foundations.\n\n"
                "The recommendations below are aimed at governments and at the foundations, universities and "
                "companies that fund exchange. Their common premise is that an alliance relationship that exists "
                "only among officials will not survive the next crisis."
            ),
            note="Softened the opening claim and added the U.S. side",
        ),
    ),
    recommendations=(
        DemoRecommendation(
            target="Trilateral",
            revisions=(
                DemoRevision(
                    author="eleanor.hayes",
                    title="Invest in civil-society and cultural exchange",
                    text=(
                        "The three governments should jointly fund a trilateral exchange programme for students, "
                        "young professionals and civil-society leaders, with a target of several thousand "
                        "participants a year once travel resumes. It should include semester exchanges among "
                        "universities, short study tours for local officials and journalists, and support for "
                        "sister-city partnerships that bring together cities in all three countries. Cultural "
                        "institutions, among them the Japan Foundation, the Korea Foundation and their U.S. "
                        "counterparts, should co-produce exhibitions and festivals that tour all three countries.\n\n"
                        "Where history is concerned, the programme should fund joint research and dialogue among "
                        "younger historians, not seek to produce an agreed narrative."
                    ),
                    rationale=(
                        "Attitudes toward neighbours are formed young, and surveys show that people who have "
                        "visited the other country hold markedly more positive views of it. Exchange is cheap "
                        "relative to defence spending, and it builds the constituency that future leaders will "
                        "need when they seek to compromise. The pandemic interrupted exchange just as younger "
                        "cohorts were warming to one another."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="kenji.morimoto",
                    title="Invest in civil-society and cultural exchange",
                    text=(
                        "The three governments should jointly fund a trilateral exchange programme for students, "
                        "young professionals and civil-society leaders, with a target of several thousand "
                        "participants a year once travel resumes. It should include semester exchanges among "
                        "universities, short study tours for local officials and journalists, and support for "
                        "sister-city partnerships that bring together cities in all three countries. Cultural "
                        "institutions, among them the Japan Foundation, the Korea Foundation and their U.S. "
                        "counterparts, should co-produce exhibitions and festivals that tour all three countries.\n\n"
                        "Where history is concerned, the programme should fund joint research and dialogue among "
                        "younger historians, not seek to produce an agreed narrative.\n\n"
                        "Until borders fully reopen, online exchange and jointly taught classes can keep "
                        "partnerships alive."
                    ),
                    rationale=(
                        "Attitudes toward neighbours are formed young, and surveys show that people who have "
                        "visited the other country hold markedly more positive views of it. Exchange is cheap "
                        "relative to defence spending, and it builds the constituency that future leaders will "
                        "need when they seek to compromise. The pandemic interrupted exchange just as younger "
                        "cohorts were warming to one another."
                    ),
                    note="Added online exchange as a bridge while borders are closed",
                ),
            ),
        ),
        DemoRecommendation(
            target="",
            revisions=(
                DemoRevision(
                    author="organizer",
                    title="Sustain and widen track-II dialogue",
                    text=(
                        "Foundations and governments should provide multi-year funding for trilateral track-II "
                        "dialogue, including a standing forum for next-generation scholars and practitioners that "
                        "meets at least twice a year. Dialogues should bring in voices now missing from them: "
                        "local government officials, business, legislative staff, and specialists in public "
                        "health, climate and technology, not only security experts.\n\n"
                        "Track-II groups should also build a habit of reporting back. Each meeting should produce "
                        "a short, non-attributable summary for officials in the three capitals, and governments "
                        "should designate a point of contact to receive it and, where possible, respond."
                    ),
                    rationale=(
                        "Track-II dialogue allows ideas to be tested before governments are ready to own them, and "
                        "it keeps conversation going when official channels freeze, as they did in 2019. But most "
                        "trilateral dialogues rely on short-term grants and draw on the same small circle of "
                        "participants. Stable funding and a broader membership would make them more useful to "
                        "governments and more durable."
                    ),
                    note="First draft",
                ),
                DemoRevision(
                    author="eleanor.hayes",
                    title="Sustain and widen track-II dialogue",
                    text=(
                        "Foundations and governments should provide multi-year funding for trilateral track-II "
                        "dialogue, including a standing forum for next-generation scholars and practitioners that "
                        "meets at least twice a year. Dialogues should bring in voices now missing from them: "
                        "local government officials, business, legislative staff, and specialists in public "
                        "health, climate and technology, not only security experts. Online meetings kept our own "
                        "group going through the pandemic, but they are no substitute for meeting in person, where "
                        "most of the trust is built.\n\n"
                        "Track-II groups should also build a habit of reporting back. Each meeting should produce "
                        "a short, non-attributable summary for officials in the three capitals, and governments "
                        "should designate a point of contact to receive it and, where possible, respond."
                    ),
                    rationale=(
                        "Track-II dialogue allows ideas to be tested before governments are ready to own them, and "
                        "it keeps conversation going when official channels freeze, as they did in 2019. But most "
                        "trilateral dialogues rely on short-term grants and draw on the same small circle of "
                        "participants. Stable funding and a broader membership would make them more useful to "
                        "governments and more durable."
                    ),
                    note="Noted the limits of meeting online",
                ),
            ),
        ),
    ),
    comments=(
        DemoComment(
            author="kenji.morimoto",
            body=(
                "@aoi.kobayashi do you have the prefectural figures on Japan–Korea sister-city ties? I'd like to "
                "add a sentence saying how many stayed active through 2019."
            ),
        ),
    ),
)


SECTIONS: tuple[DemoSection, ...] = (
    _INTRODUCTION,
    _DOMESTIC_CONSTRAINTS,
    _NON_TRADITIONAL_SECURITY,
    _NEW_AREAS,
    _CIVIL_SOCIETY,
)
