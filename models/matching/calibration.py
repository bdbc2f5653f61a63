"""Reference clauses for calibrating cosine floors in any community, however small.

A community's own clauses are mixed with these when the matcher estimates how close two
*unrelated* clauses come; with two profiles there is no null distribution of its own.
"""

REFERENCE_CLAUSES: tuple[str, ...] = (
    "We build scheduling software for hospitals",
    "A seed investor in climate hardware",
    "I mentor founders on enterprise sales",
    "Warehousing and returns for online shops in Europe",
    "Machine learning engineer looking for a co-founder role",
    "Angel checks for pre-seed marketplaces",
    "Payroll software for small businesses in the Gulf",
    "Help with pricing and packaging",
    "Intros to retail buyers",
    "A designer who has shipped mobile apps",
    "Ten years running logistics for a grocery chain",
    "Advice on hiring our first salespeople",
    "Contract manufacturing for electronics",
    "A lawyer who knows data protection",
    "Open-source developer tools with 5,000 users",
    "A bank partner to issue cards",
    "We run pilots with startups on energy efficiency",
    "Growth marketing for consumer apps",
    "A technical co-founder for our marketplace",
    "Investors in African fintech",
    "我们做智能家居传感器",
    "寻找懂供应链的导师",
    "Buscamos un inversionista para nuestra ronda semilla",
    "Software para despachos de abogados",
    "Procuramos um mentor de vendas",
    "Plataforma de agendamento para clínicas",
    "Ищем ангела на pre-seed",
    "Backend-разработчик на Go и Python",
    "Customer interviews and user research",
    "Carbon accounting for manufacturers",
    "A distribution partner in India",
    "Former head of product at a travel startup",
)
