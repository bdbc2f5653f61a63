"""The planted topics of the demo community: what rises and fades, and how people phrase it.

Each topic has many paraphrased templates with {slot} fillers (see bot/demo/chatter.py for the
shared fillers), so its messages read like different people talking about the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """How one planted topic is talked about: weeks, channels and message templates."""

    name: str
    keywords: tuple[str, ...]
    rises_in_week: int
    fades_in_week: int | None
    channels: tuple[str, ...]
    templates: tuple[str, ...]


# fmt: off
TOPIC_SPECS: tuple[TopicSpec, ...] = (
    TopicSpec(
        "SOC 2 and security reviews for enterprise deals",
        ("soc", "audit", "security", "enterprise", "questionnaire", "compliance"),
        1, 4, ("product", "general"),
        (
            "Our first enterprise prospect wants a SOC 2 report before signing. How long did your audit take?",
            "Is SOC 2 Type I enough to close an enterprise deal or do buyers insist on Type II?",
            "Just got a {q}-question security questionnaire from a {buyer} prospect. Any shortcuts?",
            "Which compliance automation tool did you use for SOC 2: {soctool} or {soctool2}?",
            "We paid about {amount} for our SOC 2 audit, the auditor was {soctool}-recommended",
            "Enterprise procurement stalled for {n} weeks on the security review, SOC 2 would have helped",
            "How do you answer security questionnaires when you don't have SOC 2 yet?",
            "Tip: share a trust page with your policies before the security questionnaire arrives",
            "Our SOC 2 audit window starts {soon}, any advice on evidence collection?",
            "Do {sector} enterprise buyers accept ISO 27001 instead of a SOC 2 audit?",
            "Anyone have a template for the vendor security questionnaire? Enterprise deal blocked on it",
            "SOC 2 Type II observation period is 3 months minimum, start earlier than you think",
            "Lost an enterprise deal because our compliance story was weak. Starting the SOC 2 audit now",
            "Is it worth hiring a fractional CISO for the SOC 2 audit or can founders do it?",
        ),
    ),
    TopicSpec(
        "SAFE notes & valuation caps",
        ("safe", "safes", "valuation", "cap", "post-money", "discount"),
        2, 5, ("fundraising", "general"),
        (
            "Raising on a post-money SAFE at a {cap} cap. Is that crazy for {stage} {sector}?",
            "What valuation cap are you seeing on {stage} SAFEs in {city} right now?",
            "An angel asked for a {pct}% discount AND a valuation cap on our SAFE. Normal?",
            "Post-money vs pre-money SAFE: the dilution math surprised me, {cap} cap ended up costing 18%",
            "Should we raise on a SAFE or do a priced round at a {cap} valuation?",
            "Stacking {n} SAFEs with different caps made our cap table a mess. Lesson learned",
            "{fund} wants an MFN clause on the SAFE, no cap. Would you take it?",
            "Is a {cap} post-money cap reasonable with {mrr} MRR?",
            "Friendly reminder: model your SAFE conversion before signing, caps compound fast",
            "We kept the valuation cap at {cap} and added a 20% discount for early angels",
            "Anyone used the YC post-money SAFE with a pro rata side letter?",
            "SAFE caps in {sector} seem to have gone up this year, {cap} is the new normal?",
            "How do you negotiate a valuation cap when the lead investor anchors low?",
            "Uncapped SAFE offered by a {sector} strategic investor. Red flag or fine?",
        ),
    ),
    TopicSpec(
        "Founder burnout / mental health",
        ("burnout", "mental", "health", "therapy", "exhausted", "sleep"),
        3, 6, ("general",),
        (
            "Honest question: how do you deal with burnout? I'm exhausted after {n} months of 80-hour weeks",
            "Started therapy {ago}. Best decision for my mental health as a founder",
            "Nobody talks about founder mental health enough. I haven't slept properly since {ago}",
            "I hit a wall with burnout {ago}, took {n} days off and the company survived",
            "Any founder peer groups for mental health support in {city}?",
            "Exhausted, anxious, and still shipping. Is this just what year one feels like?",
            "My cofounder and I now protect sleep and weekends. Burnout was killing our decisions",
            "Reminder that your mental health is a company asset. {selfcare} today",
            "What helped you recover from burnout without stepping away from the startup?",
            "Therapy plus a coach helped me more than any productivity hack for founder burnout",
            "Feeling exhausted and lonely as a solo founder. How do you keep your head clear?",
            "Sleep tracking showed I averaged {hours} hours. No wonder the burnout crept in",
            "Is it normal to feel burnout after closing a {stage} round? Everyone expects me to be happy",
        ),
    ),
    TopicSpec(
        "Q4 fundraising freeze",
        ("q4", "freeze", "vcs", "pause", "bridge", "runway"),
        4, None, ("fundraising", "general"),
        (
            "{n} VCs told us they're pausing new deals until Q4 is over. Is everyone seeing this freeze?",
            "Fundraising freeze is real: {n} partners said 'circle back in January'",
            "Should we do a bridge round now or wait out the Q4 freeze with {n} months of runway?",
            "VCs are in portfolio triage mode, new investments on pause until next year",
            "Q4 is dead for {sector} fundraising, anyone still getting term sheets?",
            "Extended our runway to {n} months so we can skip the Q4 freeze entirely",
            "Our lead investor paused the deal citing the Q4 freeze. How do you keep momentum?",
            "Insider bridge vs venture debt to get through the freeze?",
            "Heard from two {sector} VCs that their Q4 pipeline is frozen, IC meetings pushed",
            "If VCs pause for Q4 should we talk to angels and family offices instead?",
            "Cutting burn by {pct}% to stretch runway through the freeze, brutal but necessary",
            "Anyone closed a round in Q4 recently? Feels like every VC hit pause",
            "Tip from our board: raise a small bridge before the Q4 freeze, not during",
        ),
    ),
    TopicSpec(
        "AI agents pricing",
        ("agents", "agent", "pricing", "usage-based", "seat", "outcome"),
        5, None, ("product", "general"),
        (
            "How are you pricing AI agents? Per seat feels wrong when the agent does the work of {n} people",
            "We moved our agent to usage-based pricing and revenue went up {pct}%",
            "Outcome-based pricing for AI agents: {price} per resolved ticket. Anyone tried it?",
            "Our {sector} customers love our agents but hate unpredictable usage-based bills. Pricing help?",
            "Per-seat pricing breaks when one agent replaces {n} seats. What's the new model?",
            "Pricing AI agents at {price} per task, is that too cheap for {sector}?",
            "Agent pricing debate: credits, per-outcome, or a flat platform fee plus usage?",
            "Our LLM costs are {pct}% of revenue, need to rethink agent pricing before we scale",
            "Anyone benchmarked what {sector} buyers pay for AI agents per month?",
            "Hybrid pricing worked for us: seat fee for humans, usage-based fee for agents",
            "Competitors price agents at {price} per resolution, should we undercut or hold?",
            "How do you explain outcome pricing for agents to a procurement team?",
            "Switching from seat to usage-based pricing for our agents cut churn by {pct}%",
        ),
    ),
    TopicSpec(
        "EU AI Act compliance",
        ("eu", "act", "compliance", "high-risk", "regulation", "conformity"),
        6, None, ("general", "product"),
        (
            "Does the EU AI Act apply to us if we only sell to {sector} customers in the US?",
            "Is our {sector} tool high-risk under the EU AI Act? The annex reads that way",
            "EU AI Act compliance checklist anyone? Our enterprise buyers in {city} are asking",
            "Transparency obligations under the AI Act kick in soon, what are you doing about it?",
            "We got our first AI Act compliance question from a {nationality} customer {ago}",
            "High-risk classification under the EU AI Act means a conformity assessment. Ugh",
            "Anyone hired a lawyer for EU AI Act compliance? Costs around {amount}?",
            "General-purpose AI rules in the AI Act: do they hit startups building on top of GPT?",
            "The EU regulation is vague on fine-tuned models. How are you reading the AI Act?",
            "Our DPO says AI Act compliance overlaps with GDPR, start with your data inventory",
            "Will the EU AI Act slow down {sector} startups in Europe or is it overblown?",
            "Conformity assessment for a high-risk {sector} system: how long did it take you?",
            "Webinar on the EU AI Act for founders on {weekday}, worth it for compliance basics",
        ),
    ),
    TopicSpec(
        "Hiring first engineers in LatAm",
        ("latam", "engineers", "hiring", "eor", "timezone", "contractors"),
        6, None, ("hiring", "general"),
        (
            "Hiring our first engineers in LatAm: contractors or an EOR like {eor}?",
            "Great timezone overlap with LatAm engineers, we hired two in {latcity} last month",
            "What are senior engineers in {latcity} asking for? Rates seem to be around {rate}/month",
            "Anyone used {eor} as EOR for hiring in Brazil? Payroll and benefits questions",
            "LatAm hiring tip: post in local communities in {latcity}, not just LinkedIn",
            "We're hiring {n} engineers in LatAm, full remote, US timezone overlap. DM me",
            "Contractors vs EOR for LatAm engineers, which is cleaner for equity?",
            "Our first engineering hires in Mexico and Colombia have been fantastic, happy to share tips",
            "How do you run technical interviews when hiring engineers across LatAm?",
            "EOR fees in LatAm are eating our budget, any cheaper options than {eor}?",
            "The timezone overlap with LatAm makes standups painless, highly recommend hiring there",
            "Looking for recruiters who specialize in hiring engineers in Argentina and Brazil",
            "Is it fair to pay LatAm engineers US-level salaries? Debate on our team of {n}",
        ),
    ),
    TopicSpec(
        "Demo day prep",
        ("demo", "day", "pitch", "rehearsal", "judges", "stage"),
        7, None, ("events", "fundraising"),
        (
            "Demo day is in {n} days, who wants to swap pitch rehearsals?",
            "Rehearsal slots for demo day are open {weekday} at {time}, bring your 3-minute pitch",
            "Tips for a demo day pitch? I freeze on stage and read my slides",
            "What do demo day judges actually care about: traction or team?",
            "Our demo day pitch is down to {pitchtime}. Anyone up for a final rehearsal?",
            "Demo day dry run tonight at {time}, judges from {fund} will give feedback",
            "Should we show a live demo on stage at demo day or a recorded video?",
            "Practiced my demo day pitch {n} times, still too long. Cut the market slide?",
            "Who's pitching at demo day? Let's do a group rehearsal on {weekday}",
            "Demo day judges asked about retention last year, prepare a cohort chart",
            "Stage fright before demo day is real, {n} days to go. Any breathing tricks?",
            "Demo day agenda is out: {n} startups, 3 minutes each, investors Q&A after the pitch",
        ),
    ),
)
# fmt: on
