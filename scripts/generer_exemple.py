#!/usr/bin/env python3
"""Generate the FICTITIOUS example data of the Rencontres workbook into ``data/exemple/``.

Everything is invented: people, organisations, e-mails (example.org / .fr / .net) and phone
numbers (06 00 .. .. .. range). Output is deterministic (``random.Random(2026)``): two runs give
byte-identical files. Standard library only. Usage: ``python scripts/generer_exemple.py``.
"""

import csv
import io
import random
import re
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parents[1] / "data" / "exemple"
R = random.Random(2026)

# Phrase banks: "@section" headers, one item per line, "|" or " | " separate fields, \n = newline.
TEXTS = r"""
@TERRITORIES
lyon|Métropole de Lyon|Lyon|2025-03-14|120|140|7|3|30||du Rhône|Lyon,Villeurbanne,Vénissieux,Vaulx-en-Velin,Bron|Université Lumière Lyon 2,Sciences Po Lyon|69001 69003 69004 69007 69008 69009 69100 69120 69200 69500 69600|01000 01700 01120 38200 42000
grenoble|Grenoble-Alpes Métropole|Grenoble|2025-03-28|100|84|4|2|27||de l'Isère|Grenoble,Échirolles,Saint-Martin-d'Hères,Fontaine,Meylan|Université Grenoble Alpes,Sciences Po Grenoble|38000 38100 38130 38400 38600 38240 38170 38320 38700|73000 26000 05000 01300 69003
nantes|Nantes Métropole|Nantes|2025-04-11|90|76|4|3|25|Gratuit|de la Loire-Atlantique|Nantes,Rezé,Saint-Herblain,Orvault,Bouguenais|Nantes Université|44000 44100 44200 44300 44400 44800 44700 44230 44340|49000 85000 35000 56000 44600
lille|Métropole européenne de Lille|Lille|2025-04-25|110|96|5|2|29|Gratuit|du Nord|Lille,Roubaix,Tourcoing,Villeneuve-d'Ascq,Lambersart|Université de Lille,Sciences Po Lille|59000 59800 59100 59200 59650 59130 59150 59160 59260|62000 62300 62100 02100 80000
@SHORT
AVANCEES = Pas grand-chose. | RAS | Plus de dialogue | le budget participatif | Difficile à dire | Quelques avancées sur les mobilités | aucune | Des réunions mieux animées | la confiance, un peu | je ne sais pas
FREINS = Le manque de moyens | le temps !! | Les élus | Manque de retours | la lassitude | Trop de réunions | le calendrier électoral | pas de budget | Défiance | idem
PISTES = Plus de moyens | Former les élus | Aller vers les habitants | Rendre des comptes | tirage au sort | Une charte | ? | Continuer ! | Écouter vraiment | RAS
@OPENERS
AVANCEES = Pour moi, | Clairement, | Dans notre commune, | À mon avis,
FREINS = Franchement, | Sur notre territoire, | Le problème : | Surtout,
PISTES = Pour 2026 : | Il faudrait : | Idée : | Priorité :
@AVANCEES
moyens = La création d'un poste de chargé·e de mission participation a tout changé. | On a enfin une direction de la participation avec un vrai budget. | Les services ont appris à travailler ensemble, de façon plus transversale.
decision = Le projet de réaménagement de la place a été modifié suite aux ateliers. | Certaines propositions des habitants ont été reprises telles quelles dans le PLU. | Un élu a dit en réunion "on s'est trompés, on recommence", ça a marqué les esprits.
inclusion = On touche des habitants qu'on ne voyait jamais, grâce aux permanences en pied d'immeuble. | Le tirage au sort a permis de faire venir des jeunes et des personnes précaires. | Les ateliers en soirée avec garde d'enfants ont fait venir des familles.
transparence = Les règles du jeu sont mieux posées en début de concertation. | On affiche désormais ce qui est négociable et ce qui ne l'est pas, ça apaise les débats. | Les documents sont publiés en ligne avant les réunions.
redevabilite = Un bilan public de la concertation est maintenant systématique. | Les participants reçoivent un courrier expliquant ce qui a été retenu, ou pas, et pourquoi. | Il y a une réunion de restitution à la fin de chaque démarche.
numerique = La plateforme en ligne permet de recueillir beaucoup plus d'avis qu'avant. | Le vote en ligne du budget participatif a mobilisé plusieurs milliers de personnes. | Les cartes collaboratives ont bien marché pour les questions de mobilité.
calendrier = Les concertations commencent plus tôt, dès la phase de diagnostic. | On a réussi à caler la concertation avant les arbitrages budgétaires. | Le calendrier est annoncé dès le départ, ce qui évite les frustrations.
formation = Les agents ont été formés à l'animation, ça se sent dans la qualité des ateliers. | Une partie des élus a suivi une formation à la participation, ils sont plus à l'aise. | On a créé un réseau d'agents référents participation qui échangent leurs pratiques.
@FREINS
moyens = Pas de budget dédié, tout repose sur la bonne volonté de quelques agents. | On manque de temps et de personnel pour bien faire les choses. | Les moyens sont concentrés sur la ville-centre, les petites communes n'ont rien.
decision = Les décisions sont déjà prises avant la concertation. | On nous consulte sur la couleur des bancs, jamais sur les vrais sujets. | Les élus gardent la main et n'aiment pas être contredits en réunion publique.
inclusion = Ce sont toujours les mêmes qui viennent : retraités, propriétaires, déjà engagés. | Les jeunes et les habitants des quartiers populaires ne se sentent pas concernés. | Les horaires des réunions excluent les personnes qui travaillent en décalé.
transparence = On ne sait jamais ce qui est vraiment négociable. | Les documents sont trop techniques, "pour initiés", personne ne les lit. | Il y a un manque de sincérité : on affiche une concertation, mais le projet est bouclé.
redevabilite = Les habitants nous disent "on donne notre avis, et après, plus de nouvelles". | Aucun retour sur ce que sont devenues les propositions. | La collectivité ne rend pas compte, donc la confiance s'effrite d'une fois sur l'autre.
numerique = La plateforme en ligne exclut une partie de la population. | Trop d'outils numériques, pas assez de rencontres en vrai. | La fracture numérique est sous-estimée, surtout chez les personnes âgées.
calendrier = Avec les municipales qui approchent, tout est gelé. | Les délais réglementaires sont trop courts pour une vraie concertation. | La période préélectorale rend les élus frileux sur tout engagement.
formation = Les agents ne sont pas formés à l'animation de réunions conflictuelles. | Certains élus voient la participation comme une menace pour leur légitimité. | La culture administrative reste très descendante, difficile à faire bouger.
@PISTES
moyens = Inscrire un budget participation dans chaque mandat, avec une équipe dédiée. | Mutualiser les moyens entre communes de la métropole. | Sanctuariser des postes de chargés de participation.
decision = Que les candidats s'engagent à l'avance sur ce qu'ils feront des avis. | Donner un vrai pouvoir de décision aux instances citoyennes sur une partie du budget. | Des conventions citoyennes dont les conclusions sont soumises au conseil municipal.
inclusion = Aller vers : marchés, pieds d'immeuble, sorties d'école. | Indemniser les participants tirés au sort. | Travailler avec les associations de quartier pour toucher les publics éloignés.
transparence = Une charte de la participation, votée en conseil, avec des règles claires. | Afficher dès le départ les marges de manœuvre réelles. | Publier toutes les contributions, y compris celles qui dérangent.
redevabilite = Un bilan annuel public des concertations et de leurs suites. | Un tableau de bord en ligne pour suivre chaque proposition. | Appliquer le principe "pas de concertation sans retour, pas de retour sans délai".
numerique = Garder un équilibre entre numérique et présentiel. | Une plateforme unique et simple pour toute la métropole. | Former les habitants aux outils en ligne via les médiateurs numériques.
calendrier = Lancer les concertations dès le début du mandat, pas à la fin. | Inscrire la participation dans les programmes des candidats aux municipales de 2026. | Prévoir un calendrier pluriannuel de la participation dès 2026.
formation = Former tous les nouveaux élus de 2026 à la participation citoyenne. | Des formations communes élus, agents et habitants. | Créer une école de la participation à l'échelle de la métropole.
@PROFILS
Élu·e = Élue municipale/Élu municipal | élue/élu | adjointe au maire/adjoint au maire | Conseillère métropolitaine/Conseiller métropolitain | ELUE/ELU | Maire adjointe démocratie locale/Adjoint à la participation | vice-présidente/vice-président | conseillère municipale déléguée/conseiller municipal délégué
Agent·e territorial·e = DGS | chargée de mission participation/chargé de mission participation | Agent territorial | Chargée de concertation/Chargé de concertation | Directrice participation citoyenne/Directeur démocratie locale | agente territoriale/agent territorial | cheffe de projet politique de la ville/chef de projet politique de la ville | fonctionnaire territoriale/fonctionnaire territorial | DGA
Association = Association | bénévole associative/bénévole associatif | Présidente d'association/Président d'association | salariée associative/salarié associatif | asso | Coordinatrice centre social/Coordinateur centre social
Consultant·e = Consultante/Consultant | cabinet conseil | consultante en concertation/consultant concertation | Facilitatrice/Facilitateur | Bureau d'études
Agent·e de l'État = Préfecture | DDT | Déléguée du préfet/Délégué du préfet | Services de l'Etat | DREAL | agent de l'état
Chercheur·e = Chercheuse/Chercheur | doctorante/doctorant | Enseignante-chercheuse/Enseignant-chercheur | universitaire | Maîtresse de conférences/Maître de conférences
Citoyen·ne = Habitante/Habitant | citoyenne/citoyen | Conseil citoyen | habitante du quartier/habitant du quartier | retraitée/retraité | Citoyenne engagée/Citoyen engagé | étudiante/étudiant
Autre = Autre | Journaliste | Curieuse/Curieux
@LISTS
first_f = Camille | Sophie | Chloé | Léa | Inès | Manon | Aïcha | Fatoumata | Hélène | Nathalie | Isabelle | Claire | Élodie | Maëlle | Anaïs | Zoé | Marie-Claire | Anne-Sophie | Bérénice | Océane | Yasmina | Sarah | Julie | Émilie | Agnès | Céline | Laure | Sylvie | Karima | Mathilde | Noémie | Françoise | Salomé | Amina | Lucie | Pauline | Margaux | Nadia | Ophélie | Thi-Hoa
first_m = Thomas | Nicolas | Julien | Karim | Mohamed | Yannick | Loïc | Mathieu | Jean-Baptiste | Pierre-Yves | François | Hervé | Benoît | Cédric | Jérôme | Théo | Hugo | Antoine | Bastien | Rachid | Stéphane | Grégoire | Gaël | Ludovic | Olivier | Xavier | Youssef | Minh | Raphaël | Éric | Jean-Marc | Didier | Sébastien | Quentin | Malik | Arnaud | Samuel | Wilfried
last = Martin | Bernard | Dubois | Moreau | Laurent | Girard | Roux | Fontaine | Chevalier | Rousseau | Garnier | Faure | Mercier | Blanc | Guérin | Boyer | Lambert | Bonnet | Gauthier | Perrin | Robin | Clément | Morin | Henry | Barbier | Dupont | Leroy | Benali | Haddad | Traoré | Diallo | Kowalski | Da Silva | Fernandes | Lopez | Garcia | Le Bihan | Le Goff | Tanguy | Vandamme | Delattre | Dewitte | Coulibaly | Ben Saïd | Bouvier | Rey | Chabert | Durand | Petit | Cohen | Lemaire | Lévêque | Ménard | Müller | Nguyễn | Trần | N'Diaye | Le Gall | Lefèvre | De Oliveira | Yilmaz | Schmitt | Caron | Marchand | Pham | Kaci | Pereira | Renaud | Vasseur | Descamps | Roux-Chabert | Martin-Lagarde
cp_far = 75011 | 75020 | 93200 | 13001 | 33000 | 67000 | 31000 | 06000 | 34000 | 92100
fillers = Alors, | Euh, | Bon, | Pour être honnête, | Oui, alors, | Disons que
connectors = Et | Mais | Par ailleurs, | Du coup, | En plus, | Bref,
closers = [...] | Voilà. | C'est ça le problème. | (rires)
body_closers = À expérimenter dès 2026. | Cela pourrait commencer par un quartier test. | Proposition issue de l'atelier, à approfondir. | D'autres villes le font déjà.
assos = Les Voisins Solidaires | Quartiers en Commun | Collectif Parole d'Habitants | Maison des habitants de {city} | Centre social du Parc | Agir Ensemble {city} | Amicale des locataires de {city} | Collectif Vélo {city} | Réseau Citoyens Acteurs | Les Jardins partagés du Canal
cabinets = Cabinet Palabre | Agence Débats & Territoires | Concert'O Conseil | Atelier Médiation Publique | Trajectoires Citoyennes | Indépendant·e
@INTERVIEW
organisation = On a créé une mission participation en 2021, rattachée à la direction générale, et ça change tout parce qu'on a l'oreille du DGS. | Avant, chaque service faisait sa concertation dans son coin. Maintenant il y a un comité de pilotage transversal qui se réunit tous les deux mois. | Honnêtement, on est deux pour toute la métropole. Vous imaginez bien qu'on ne peut pas tout suivre. | La participation, ça reste perçu comme un truc en plus, pas comme une façon de travailler. | Ici à {ville}, le budget concertation est voté projet par projet. Il n'y a pas de vision d'ensemble. | Ce qui a bougé, c'est que les chefs de projet intègrent un volet concertation dès le montage, avec un planning et une enveloppe. | Dans l'association, on fait tout avec des bénévoles. Quand la collectivité nous sollicite, c'est rarement avec des moyens.
décision = Sur le projet du parc, les habitants ont obtenu qu'on garde les arbres existants. C'est écrit dans la délibération. | Le problème, c'est qu'on arrive souvent quand tout est déjà arbitré. On nous demande notre avis sur des détails. | L'élu nous avait dit : ce que vous déciderez sur l'enveloppe, je le ferai voter tel quel. Et il l'a fait. | Je pense que les élus ont peur de perdre la main. Écouter, oui, mais décider ensemble, c'est autre chose. | On a eu des avancées sur le plan vélo, clairement grâce aux ateliers. Sur le PLU, par contre, zéro. | Ce qui manque, c'est l'engagement en amont : qu'est-ce que vous allez faire de ce qu'on vous dit ? | La convention citoyenne a produit quarante propositions, une douzaine ont été reprises, c'est pas rien mais c'est pas tout.
inclusion = On a fait du porte-à-porte avec les médiateurs, et là on a rencontré des gens qui ne seraient jamais venus en réunion publique. | Les réunions à 18 heures en mairie, c'est fait pour les retraités. Les mères isolées, les jeunes qui bossent, ils ne peuvent pas. | Le tirage au sort a vraiment diversifié les profils. Mais il faut accompagner, indemniser, sinon les gens décrochent. | Dans les quartiers prioritaires de {ville}, il y a une fatigue : on a été beaucoup consultés pour la rénovation urbaine. | On traduit maintenant les supports en plusieurs langues et on fait des ateliers en FALC. | Ce sont toujours les mêmes qui parlent. Les habitués, les présidents d'associations, moi y compris d'ailleurs. | Aller vers, tout le monde en parle, mais ça demande du temps humain, et c'est ce qui coûte le plus cher.
transparence = Il faut dire clairement ce qui est négociable. Quand on ne le dit pas, les gens le découvrent à la fin et c'est pire. | Les documents étaient illisibles, des dossiers de deux cents pages. La synthèse est arrivée trois semaines après la réunion. | On a publié toutes les contributions, même les plus critiques. Ça a crédibilisé la démarche. | J'ai eu le sentiment qu'on nous cachait des études. Les chiffres de trafic, on les a eus après coup. | On commence chaque atelier par les règles du jeu : le périmètre, le calendrier, qui décide à la fin. | La sincérité, c'est ça le sujet. Si la concertation est un habillage, les gens le sentent tout de suite.
redevabilité = On n'a jamais su ce qu'étaient devenues nos propositions. Pas un mail, pas un courrier, rien. | Depuis deux ans, on fait une réunion de restitution un an après. On dit ce qui a été fait, ce qui ne l'a pas été, et pourquoi. | Le tableau de suivi en ligne, c'est bien, mais il n'est plus mis à jour depuis l'été dernier. | Rendre des comptes, pour un élu, c'est accepter d'être mis en difficulté. Tout le monde n'est pas prêt. | Les gens acceptent un non, à condition qu'on leur explique. Ce qu'ils n'acceptent pas, c'est le silence. | Sur le budget participatif de {ville}, on voit les projets sortir de terre, avec un panneau. Ça, c'est concret.
freins = Le principal frein, c'est le temps. La concertation est la variable d'ajustement des calendriers. | Il y a une forme de lassitude. On sollicite beaucoup les mêmes personnes, sur des sujets qui se ressemblent. | Le numérique a pris beaucoup de place depuis le Covid, et on a perdu une partie du public des réunions. | Avec les municipales, tout est en suspens. Plus personne ne veut s'engager avant 2026. | Les services juridiques nous freinent aussi, par peur du contentieux. Alors on fait le minimum réglementaire. | Certains élus d'opposition boycottent les dispositifs, ils y voient de la communication de la majorité.
pistes 2026 = Ce que j'aimerais, c'est que chaque liste s'engage sur une charte de la participation avec des règles précises. | Former les nouveaux élus dès le début du mandat. Les premiers mois, c'est là que les habitudes se prennent. | Un budget participatif, oui, mais avec une part réservée aux quartiers prioritaires. | Il faudrait un garant indépendant qui vérifie que les engagements sont tenus. | Pour 2026, je dirais : moins de dispositifs, mais mieux suivis. On a trop empilé les outils. | Installer une convention citoyenne en début de mandat sur l'adaptation au climat, avec un vrai mandat. | Rendre obligatoire un bilan annuel de la participation présenté en conseil municipal.
@CROSS
1|lyon|Inclusion des publics|Créer un budget participatif dédié aux quartiers prioritaires|Une enveloppe réservée aux quartiers prioritaires, pour que les projets ne soient pas toujours ceux des quartiers favorisés.
1|nantes|Inclusion des publics|Mettre en place un budget participatif réservé aux quartiers prioritaires|Réserver une part du budget participatif aux quartiers politique de la ville.\nAvec un accompagnement des habitants pour monter les projets.
1|lille|Inclusion des publics|Un budget participatif spécifique pour les quartiers populaires|Les quartiers populaires votent moins : leur garantir une enveloppe propre.
2|lyon|Reddition des comptes|Publier un bilan annuel des concertations et de leurs suites|Chaque année, un document public qui dit ce qui a été fait de chaque concertation.
2|grenoble|Reddition des comptes|Rendre public chaque année le devenir des contributions|Un bilan annuel, présenté en conseil, sur ce que sont devenues les contributions citoyennes.
2|nantes|Reddition des comptes|Un rapport annuel sur les suites données à la participation|Présenter chaque année un rapport sur les suites données ; le mettre en débat avec les habitants.
2|lille|Reddition des comptes|Faire un bilan public annuel de la participation|On veut savoir, une fois par an, ce qui a été retenu, ce qui ne l'a pas été, et pourquoi.
3|grenoble|Sincérité et transparence|Adopter une charte de la participation citoyenne|Une charte votée en conseil municipal qui fixe les règles du jeu de toute concertation.
3|lille|Sincérité et transparence|Rédiger avec les habitants une charte locale de la participation|Co-écrire la charte avec les habitants, puis la faire voter et l'afficher dans chaque mairie.
4|lyon|Organisation|Former les élus et les agents à l'animation de la concertation|Beaucoup d'ateliers sont mal animés faute de formation. Former élus et agents ensemble.
4|grenoble|Organisation|Former systématiquement élus et agents à la participation|Une formation obligatoire en début de mandat pour les élus, et pour les agents qui pilotent des projets.
4|nantes|Organisation|Un plan de formation à la participation pour les élus et les services|Former les élus et les services aux méthodes participatives dès 2026.
5|grenoble|Inclusion des publics|Indemniser les citoyens tirés au sort|Le tirage au sort ne marche que si on compense le temps passé, sinon seuls les plus disponibles restent.
5|lille|Inclusion des publics|Défrayer les participants aux instances citoyennes|Une indemnité pour compenser le temps donné par les participants tirés au sort.
6|lyon|Reddition des comptes|Créer un tableau de bord public du suivi des engagements|Un tableau de bord en ligne, mis à jour chaque trimestre, avec l'état d'avancement de chaque engagement.
6|nantes|Reddition des comptes|Mettre en ligne un outil de suivi des propositions citoyennes|Pouvoir suivre en ligne l'état de chaque proposition : reçue, étudiée, retenue, réalisée.
6|lille|Reddition des comptes|Un site pour suivre où en est chaque proposition|Un outil en ligne simple pour savoir où en est chaque proposition, "comme le suivi d'un colis".
7|grenoble|Organisation|Dédier un budget et une équipe à la participation|Pas de participation sérieuse sans moyens : un budget propre et une équipe identifiée.
7|lille|Organisation|Créer un service participation doté de moyens propres|Un service dédié, avec des agents et un budget, plutôt que des missions éparpillées.
7|lyon|Organisation|Doter chaque commune de moyens dédiés à la participation|Une équipe et un budget participation dans chaque commune, y compris les plus petites.
8|nantes|Inclusion des publics|Organiser des permanences mobiles dans les quartiers|Aller sur les marchés, en pied d'immeuble, aux sorties d'école, au lieu d'attendre les gens en mairie.
8|grenoble|Inclusion des publics|Aller à la rencontre des habitants avec un stand mobile|Un stand mobile de la participation qui tourne dans les quartiers et sur les marchés.
9|lyon|Décision|Annoncer dès le départ ce qui est négociable|Avant chaque concertation, dire clairement ce qui est négociable et ce qui ne l'est pas.
9|grenoble|Décision|Afficher les marges de manœuvre avant chaque concertation|Les habitants doivent savoir sur quoi ils peuvent réellement peser, et sur quoi non.
9|nantes|Décision|Préciser en amont ce sur quoi les citoyens peuvent peser|Indiquer en amont le périmètre de la décision ; sinon la déception est garantie.
10|lyon|Décision|Organiser une convention citoyenne locale sur la transition écologique|Une convention tirée au sort, avec un engagement des élus à répondre à chaque proposition.
10|lille|Décision|Réunir une assemblée citoyenne tirée au sort sur l'adaptation au climat|Une assemblée de citoyens tirés au sort pour préparer le plan climat.\nSes conclusions doivent être débattues en conseil.
@UNIQUE/Organisation
Nommer un élu délégué à la participation dans chaque commune|Un interlocuteur politique clairement identifié pour les habitants.
Créer un réseau d'agents référents participation|Un référent par direction pour diffuser les bonnes pratiques.
Mettre en place un guichet unique de la participation|Les habitants ne savent pas à qui s'adresser.
Intégrer un volet concertation dans chaque fiche projet|Prévoir la concertation dès le montage, avec un calendrier.
Mutualiser une équipe d'animation entre petites communes|Les petites communes n'ont pas les moyens d'avoir leur propre équipe.
Créer un fonds d'appui aux initiatives habitantes|Financer les projets portés directement par des collectifs.
Ouvrir une maison du projet dans chaque quartier en travaux|Un lieu physique pour s'informer et donner son avis.
Recruter des médiateurs de quartier|Des personnes connues des habitants, qui font le lien avec les services.
Doter les conseils de quartier d'un budget de fonctionnement|Aujourd'hui ils doivent tout demander, même pour imprimer une affiche.
Créer un comité de pilotage transversal de la participation|Éviter que chaque service concerte dans son coin.
Évaluer chaque année les dispositifs participatifs|Savoir ce qui marche et arrêter ce qui ne marche pas.
Faciliter le prêt de salles aux collectifs d'habitants|Trouver une salle est un parcours du combattant.
Partager un agenda commun des concertations|Éviter que trois réunions aient lieu le même soir.
Créer des binômes élu-agent sur chaque concertation|Pour que le politique et le technique avancent ensemble.
Mettre du matériel d'animation à disposition des associations|Tableaux, paperboards, sonorisation : une matériauthèque partagée.
Créer un observatoire local de la participation|Suivre dans la durée qui participe et à quoi.
Accueillir des habitants en immersion dans les services|Comprendre les contraintes de l'administration de l'intérieur.
@UNIQUE/Décision
Soumettre au vote du conseil les propositions les plus soutenues|Les propositions qui dépassent un seuil de soutiens doivent être délibérées.
Créer un droit d'interpellation citoyenne|Permettre à un groupe d'habitants d'obtenir un débat en conseil municipal.
Ouvrir le conseil municipal aux questions des habitants|Un temps de questions du public au début de chaque séance.
Organiser des votations locales sur les grands projets|Consulter directement les habitants sur les projets structurants.
Associer les habitants au choix des projets d'architecture|Des habitants dans les jurys des concours.
Donner aux conseils de quartier un avis obligatoire|Un avis écrit, joint à la délibération.
Co-construire le plan vélo avec les usagers|Les cyclistes connaissent les points noirs mieux que quiconque.
Associer les habitants à l'élaboration du budget annuel|Présenter les grands arbitrages avant le vote, pas après.
Consulter les habitants avant tout abattage d'arbres|Trop d'abattages découverts le jour même par les riverains.
Ouvrir les commissions municipales à des citoyens tirés au sort|Quelques sièges consultatifs dans chaque commission.
Co-écrire le projet de territoire avec les habitants|Le projet de mandat doit partir des besoins exprimés.
Créer un conseil des enfants doté d'un budget|Les enfants ont des idées précises sur les cours d'école et les parcs.
Associer les usagers à la gestion des équipements de quartier|Un comité d'usagers pour chaque gymnase, bibliothèque ou centre social.
Tester le jugement majoritaire pour les votes citoyens|Un mode de scrutin qui limite les votes par défaut.
Associer commerçants et habitants au projet de piétonnisation|Les deux publics ont des attentes différentes, il faut les réunir.
Impliquer les riverains dans le plan de circulation|Les changements de sens de circulation tombent sans prévenir.
Donner un droit de veto citoyen sur certains projets|Sur les projets très contestés, un vote des habitants pourrait trancher.
@UNIQUE/Inclusion des publics
Traduire les supports de concertation en plusieurs langues|Une partie des habitants maîtrise mal le français écrit.
Rédiger les documents en FALC|Facile à lire et à comprendre : utile pour tout le monde.
Proposer une garde d'enfants pendant les réunions|Sinon les parents seuls ne peuvent pas venir.
Organiser les réunions à des horaires variés|Alterner soirée, week-end et pause déjeuner.
Créer un conseil de jeunes dans chaque commune|Les 15-25 ans sont les grands absents.
Rendre tous les lieux de réunion accessibles|Plusieurs salles sont encore inaccessibles en fauteuil.
Former des habitants relais dans les quartiers|Des habitants formés pour mobiliser leurs voisins.
Associer les centres sociaux à chaque concertation|Ils connaissent les habitants et ont leur confiance.
Aller dans les lycées recueillir l'avis des jeunes|Des ateliers pendant les heures de cours, avec les enseignants.
Ouvrir la participation aux résidents étrangers|Ils vivent ici, paient des impôts et utilisent les services.
Organiser des ateliers dans les EHPAD et foyers|Les personnes âgées ne se déplacent plus en réunion.
Mettre en place un transport gratuit vers les réunions|Pour les habitants des communes mal desservies.
Recueillir la parole des personnes sans domicile|Avec les associations d'accueil de jour.
Prévoir une interprétation en langue des signes|Dans toutes les réunions publiques importantes.
Travailler avec les clubs sportifs pour toucher les jeunes|Les clubs sont un lieu de confiance.
Créer un kit de concertation pour les amicales de locataires|Des fiches simples pour organiser un débat en bas de l'immeuble.
Mobiliser les parents via les écoles|Les réunions de rentrée sont une occasion de toucher les familles.
@UNIQUE/Sincérité et transparence
Publier toutes les contributions reçues|Y compris celles qui ne vont pas dans le sens du projet.
Mettre en ligne les études avant les réunions|Pour discuter à armes égales avec les techniciens.
Faire appel à un garant indépendant pour chaque concertation|Un tiers qui veille au respect des règles.
Rédiger une synthèse courte et lisible des dossiers|Deux pages maximum, sans jargon.
Filmer et diffuser les réunions publiques|Pour ceux qui ne peuvent pas se déplacer.
Publier le calendrier de décision de chaque projet|Savoir quand et par qui la décision sera prise.
Afficher le coût de chaque concertation|Par souci de transparence sur l'argent public.
Rendre publics les avis des conseils de quartier|Ils restent aujourd'hui dans les tiroirs.
Ouvrir les données des budgets participatifs|Votes, coûts, réalisations : tout en open data.
Cesser les concertations sur des projets déjà bouclés|Mieux vaut ne pas concerter que faire semblant.
Publier les comptes rendus sous quinze jours|Les comptes rendus arrivent souvent des mois après.
Créer une instance de recours en cas de concertation bâclée|Pouvoir saisir quelqu'un quand les règles ne sont pas respectées.
Indiquer la source des chiffres présentés|D'où viennent les chiffres de fréquentation ?
Présenter plusieurs scénarios plutôt qu'un projet unique|Choisir entre des options réelles, pas valider un projet ficelé.
Associer les habitants à la rédaction des comptes rendus|Un compte rendu relu par deux participants volontaires.
Faire valider le diagnostic par les habitants|Partir d'un constat partagé.
Signaler clairement les concertations réglementaires|Distinguer l'obligation légale de la démarche volontaire.
@UNIQUE/Reddition des comptes
Organiser une réunion de restitution un an après|Revenir devant les participants pour montrer ce qui a changé.
Poser des panneaux sur les réalisations du budget participatif|« Ce projet a été proposé et voté par les habitants ».
Expliquer par écrit les refus de propositions|Un non argumenté vaut mieux que le silence.
Créer une lettre d'information sur les suites de la participation|Une lettre trimestrielle, papier et numérique.
Faire évaluer les engagements par un comité citoyen|Un comité tiré au sort qui note le respect des engagements.
Publier le taux de propositions retenues|Un indicateur simple, suivi dans le temps.
Inviter les participants à l'inauguration des projets|Reconnaître le travail des habitants.
Nommer un référent suivi pour chaque démarche|Une personne à contacter après la fin de la concertation.
Afficher en mairie l'état d'avancement des projets|Tout le monde ne va pas sur internet.
Rendre compte des concertations dans le journal municipal|Une page par numéro.
Créer un droit de suite pour les pétitions|Une réponse obligatoire sous trois mois.
Faire un point d'étape à mi-mandat avec les habitants|Un rendez-vous public en 2029.
Publier les réponses des élus aux avis des conseils de quartier|Chaque avis mérite une réponse publique.
Documenter l'impact de chaque dispositif|Qu'est-ce que la participation a réellement changé ?
Associer les participants au suivi des chantiers|Des visites de chantier ouvertes aux contributeurs.
Publier les coûts réels des projets réalisés|Comparer le coût annoncé et le coût final.
Organiser des balades de suivi des réalisations|Parcourir le quartier pour voir ce qui a été fait.
@ANSWERS
accepted = <p>Proposition retenue : elle sera intégrée à la feuille de route participation 2026.</p> | <p>Merci pour cette proposition. Elle rejoint un engagement de la collectivité et sera mise en œuvre en 2026.</p> | <p>Retenue. Un groupe de travail associant des participants sera constitué.</p>
evaluating = <p>Proposition transmise aux services concernés pour étude de faisabilité.</p> | <p>En cours d'analyse. Une réponse sera apportée lors de la restitution publique.</p> | (vide)
rejected = <p>Cette proposition ne relève pas des compétences de la collectivité.</p> | <p>Non retenue à ce stade : le coût estimé dépasse l'enveloppe disponible.</p> | <p>Un dispositif équivalent existe déjà ; nous allons mieux le faire connaître.</p>
"""


def parse_texts(text):
    """Split TEXTS into {section: [lines]} ("\\n" becomes a newline)."""
    out, key = {}, ""
    for line in text.strip().splitlines():
        if line.startswith("@"):
            key = line[1:].strip()
            out[key] = []
        elif line.strip():
            out[key].append(line.strip().replace("\\n", "\n"))
    return out


def _keyed(lines):
    """Parse "key = item | item | (vide)" lines into {key: [items]}."""
    return {
        k: ["" if i == "(vide)" else i for i in v.split(" | ")]
        for k, v in (x.split(" = ", 1) for x in lines)
    }


def _sub(prefix):
    """Sections named "prefix/key" as {key: [lines]}."""
    return {k.split("/", 1)[1]: v for k, v in T.items() if k.startswith(prefix + "/")}


T = parse_texts(TEXTS)
LISTS = _keyed(T["LISTS"])
TERRITORIES = [
    {
        "slug": f[0],
        "name": f[1],
        "short": f[2],
        "day": date.fromisoformat(f[3]),
        "capacity": int(f[4]),
        "n_valid": int(f[5]),
        "n_cancel": int(f[6]),
        "n_dup": int(f[7]),
        "n_prop": int(f[8]),
        "pay": f[9],
        "de": f[10],
        "cities": f[11].split(","),
        "univ": f[12].split(","),
        "cp": f[13].split(),
        "cp_near": f[14].split(),
    }
    for f in (x.split("|") for x in T["TERRITORIES"])
]
FIRST_F, FIRST_M, LAST, CP_FAR = (LISTS[k] for k in ("first_f", "first_m", "last", "cp_far"))

# People quoted by name in questionnaire answers; they are forced into the registrations.
FORCED = {  # slug: (first, last, gender, ICPC profile, Profil as typed, Structure)
    "lyon": (
        "Sophie",
        "Lefèvre",
        "F",
        "Agent·e territorial·e",
        "chargée de mission participation",
        "Métropole de Lyon",
    ),
    "grenoble": ("Lan", "Nguyễn", "F", "Chercheur·e", "Chercheuse", "Université Grenoble Alpes"),
    "nantes": (
        "Gwenaëlle",
        "Le Gall",
        "F",
        "Association",
        "Présidente d'association",
        "Quartiers en Commun",
    ),
    "lille": (
        "Mamadou",
        "N'Diaye",
        "M",
        "Citoyen·ne",
        "Conseil citoyen",
        "Conseil citoyen de Roubaix",
    ),
}
FORCED_NAMES = {(f[0], f[1]) for f in FORCED.values()}
MENTIONS = [  # (TERRITOIRE of the respondent, question, text added to the answer)
    ("Lyon", "AVANCEES", "Merci à Sophie Lefèvre pour l'animation de la rencontre, très claire."),
    (
        "Nantes",
        "AVANCEES",
        "Comme l'a montré Gwenaëlle Le Gall avec son association, on peut toucher les habitants en pied d'immeuble.",
    ),
    (
        "Lille",
        "FREINS",
        "Je rejoins Mamadou N'Diaye : « on nous consulte, mais on ne nous répond jamais ».",
    ),
    (
        "Grenoble",
        "PISTES",
        "reprendre les propositions de Lan Nguyen (université) sur l'évaluation des dispositifs",
    ),  # no diacritic on purpose
]
EMAIL_TEXTS = [
    "Je suis prête à témoigner de notre expérience, écrivez-moi à camille.martin@example.org",
    "Pour en discuter : j.dupont@example.fr",
    "contact asso : lesvoisins.solidaires@example.net",
    "Si besoin de précisions, mon adresse est thomas.girard@example.fr.",
    "N'hésitez pas à me recontacter (karima.haddad@example.org), je coordonne le conseil de "
    "quartier.",
    "envoyez moi le compte rendu svp : yannick.leroy@example.org",
]
PHONE_TEXTS = [
    "Vous pouvez m'appeler au 06 00 12 34 56.",
    "Contactez-moi au +33 6 00 98 76 54 pour un retour d'expérience.",
    "tel 06.00.11.22.33",
    "Disponible pour un entretien : 0600457812 (après 18h).",
]

# ------------------------------------------------------------------ questionnaire (LimeSurvey)
PROFILES = {
    "Agent·e territorial·e": 30,
    "Élu·e": 15,
    "Association": 18,
    "Consultant·e": 8,
    "Agent·e de l'État": 8,
    "Chercheur·e": 6,
    "Citoyen·ne": 15,
}
TERRITORY_W = {"Lyon": 23, "Grenoble": 23, "Nantes": 23, "Lille": 23, "Autre territoire": 8}
STATEMENTS = {
    "ORG[SQ001]": "La participation citoyenne a fait évoluer l'organisation des services de la collectivité.",
    "ORG[SQ002]": "Des moyens humains et financiers dédiés à la participation existent dans la collectivité.",
    "DEC[SQ001]": "Les contributions des citoyens ont modifié des décisions publiques.",
    "DEC[SQ002]": "Les élus s'engagent à l'avance sur ce qu'ils feront des avis recueillis.",
    "DEC[SQ003]": "La participation intervient assez tôt pour peser sur les choix.",
    "INC[SQ001]": "Les dispositifs touchent des publics éloignés de la participation.",
    "INC[SQ002]": "Ce sont toujours les mêmes personnes qui participent.",  # REVERSED item
    "TRA[SQ001]": "Les règles du jeu (ce qui est négociable ou non) sont annoncées clairement.",
    "TRA[SQ002]": "Les informations utiles sont accessibles à tous les participants.",
    "RED[SQ001]": "La collectivité rend compte de ce qu'elle a fait des contributions.",
    "RED[SQ002]": "Les participants sont informés des suites données à leurs propositions.",
}
REVERSED = {"INC[SQ002]"}
LIKERT = [
    "Pas du tout d'accord",
    "Plutôt pas d'accord",
    "Ni d'accord ni pas d'accord",
    "Plutôt d'accord",
    "Tout à fait d'accord",
]
ITEM_MEAN = {
    "ORG[SQ001]": 0.35,
    "ORG[SQ002]": 0.1,
    "DEC[SQ001]": 0.05,
    "DEC[SQ002]": -0.55,
    "DEC[SQ003]": -0.3,
    "INC[SQ001]": -0.35,
    "INC[SQ002]": -0.6,
    "TRA[SQ001]": 0.05,
    "TRA[SQ002]": 0.25,
    "RED[SQ001]": -0.5,
    "RED[SQ002]": -0.7,
}
TERR_EFFECT = {
    "Lyon": 0.0,
    "Grenoble": 0.35,
    "Nantes": 0.15,
    "Lille": -0.15,
    "Autre territoire": -0.1,
}
TERR_DIM = {
    ("Lille", "RED"): -0.45,
    ("Grenoble", "DEC"): 0.25,
    ("Nantes", "INC"): 0.3,
    ("Lyon", "TRA"): -0.15,
}
PROF_EFFECT = {
    "Élu·e": 0.55,
    "Agent·e territorial·e": 0.3,
    "Consultant·e": 0.1,
    "Agent·e de l'État": 0.05,
    "Association": -0.2,
    "Chercheur·e": -0.3,
    "Citoyen·ne": -0.45,
}
TOOLS = {
    "OUTILS[SQ001]": ("Réunion publique", 0.78),
    "OUTILS[SQ002]": ("Atelier ou groupe de travail", 0.62),
    "OUTILS[SQ003]": ("Budget participatif", 0.33),
    "OUTILS[SQ004]": ("Plateforme en ligne", 0.45),
    "OUTILS[SQ005]": ("Conseil citoyen ou de quartier", 0.3),
    "OUTILS[SQ006]": ("Convention ou jury citoyen", 0.12),
}
OPEN_QUESTIONS = {
    "AVANCEES": "Quelles avancées la participation a-t-elle permises ?",
    "FREINS": "Quels freins rencontrez-vous ?",
    "PISTES": "Quelles pistes pour les municipales de 2026 ?",
}
PAGES = [
    ["PROFIL", "TERRITOIRE", *list(STATEMENTS)[:5]],
    [*list(STATEMENTS)[5:], *TOOLS],
    list(OPEN_QUESTIONS),
]  # lastpage = k  <=>  pages 1..k answered
Q_COLUMNS = [
    "id",
    "submitdate",
    "lastpage",
    "startlanguage",
    "seed",
    "startdate",
    "datestamp",
    *PAGES[0],
    *PAGES[1],
    *PAGES[2],
]
BANK = {q: _keyed(T[q]) for q in OPEN_QUESTIONS}
THEMES = list(BANK["AVANCEES"])  # moyens, decision, inclusion, ... formation
SHORT, OPENERS = _keyed(T["SHORT"]), _keyed(T["OPENERS"])
THEME_BUMPS = {
    ("Lille", "redevabilite"): 2.5,
    ("Grenoble", "decision"): 2.0,
    ("Nantes", "inclusion"): 2.0,
    ("Lyon", "numerique"): 1.8,
}


def wchoice(weights):
    """Pick one key of a {value: weight} mapping."""
    return R.choices(list(weights), weights=list(weights.values()))[0]


def strip_accents(text):
    """Remove diacritics (as people typing without accents do)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def lcfirst(text):
    """Lower-case the first letter unless the text starts with an acronym."""
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def add_typo(text):
    """Swap, drop or double one letter in a random long-enough word."""
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not idx:
        return text
    i = R.choice(idx)
    w, k = words[i], R.randint(1, len(words[i]) - 2)
    words[i] = R.choice(
        [w[:k] + w[k + 1] + w[k] + w[k + 2 :], w[:k] + w[k + 1 :], w[:k] + w[k] + w[k:]]
    )
    return " ".join(words)


def free_text(question, territory, profile):
    """Compose a realistic open answer from the phrase banks."""
    if R.random() < 0.22:
        return R.choice(SHORT[question])
    weights = {th: THEME_BUMPS.get((territory, th), 1.0) for th in THEMES}
    if profile == "Citoyen·ne":
        weights["redevabilite"] *= 1.6
    if profile == "Agent·e territorial·e" and question == "FREINS":
        weights["moyens"] *= 1.8
    if question == "PISTES":
        weights["calendrier"] *= 1.5
    themes = []
    for _ in range(wchoice({1: 45, 2: 35, 3: 15, 4: 5})):
        themes.append(wchoice({k: v for k, v in weights.items() if k not in themes}))
    sents = [R.choice(BANK[question][th]) for th in themes]
    if R.random() < 0.3:
        sents[0] = R.choice(OPENERS[question]) + " " + lcfirst(sents[0])
    sents[1:] = [
        R.choice(LISTS["connectors"]) + " " + lcfirst(x) if R.random() < 0.2 else x
        for x in sents[1:]
    ]
    if len(sents) > 1 and R.random() < 0.035:
        text = "\n".join(("- " + s) if R.random() < 0.5 else s for s in sents)
    else:
        text = " ".join(sents)
    r = R.random()
    if r < 0.10:
        text = text.lower()
    elif r < 0.16:
        text = strip_accents(text).lower()
    if R.random() < 0.10:
        text = add_typo(text)
    return text.rstrip(".") if R.random() < 0.25 else text


def likert(item, territory, profile, latent):
    """Draw one agreement label from the latent attitude model."""
    dim = item[:3]
    if R.random() < 0.02:
        return ""
    if R.random() < (0.09 if profile == "Citoyen·ne" and dim in ("ORG", "TRA") else 0.04):
        return "Sans avis"
    score = (
        ITEM_MEAN[item]
        + TERR_EFFECT[territory]
        + TERR_DIM.get((territory, dim), 0.0)
        + PROF_EFFECT[profile]
        + latent
        + R.gauss(0, 0.6)
    )
    if item in REVERSED:
        score = -score  # agreeing that "it's always the same people" is a negative view
    return LIKERT[sum(score > cut for cut in (-1.15, -0.3, 0.3, 1.15))]


def lime_dt(dt):
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def make_questionnaire(n=800):
    """Return LimeSurvey response rows (lists of strings) in Q_COLUMNS order."""
    start = datetime(2025, 1, 6, 7, 0)
    span = int((datetime(2025, 3, 31, 20, 0) - start).total_seconds())
    starts = [start + timedelta(seconds=R.randrange(span)) for _ in range(n)]
    starts = sorted(st + timedelta(hours=8) if st.hour < 7 else st for st in starts)
    rows = []
    for i, st in enumerate(starts, 1):
        profile, territory = wchoice(PROFILES), wchoice(TERRITORY_W)
        lastpage = R.choice([1, 2]) if R.random() < 0.05 else 3
        latent = R.gauss(0, 0.5)
        minutes = min(90.0, 3 + R.expovariate(1 / 9)) * (lastpage / 3)
        end = st + timedelta(seconds=int(minutes * 60) + R.randint(0, 59))
        row = {
            "id": str(i),
            "submitdate": lime_dt(end) if lastpage == 3 else "",
            "lastpage": str(lastpage),
            "startlanguage": "fr",
            "seed": str(R.randint(10**8, 2**31 - 1)),
            "startdate": lime_dt(st),
            "datestamp": lime_dt(end),
            "PROFIL": profile,
            "TERRITOIRE": territory,
        }
        for item in STATEMENTS:
            row[item] = likert(item, territory, profile, latent)
        for col, (_label, p) in TOOLS.items():
            p *= {"Citoyen·ne": 0.7, "Élu·e": 1.1}.get(profile, 1.0)
            p *= {("OUTILS[SQ005]", "Citoyen·ne"): 2.0, ("OUTILS[SQ006]", "Chercheur·e"): 2.5}.get(
                (col, profile), 1.0
            )
            row[col] = "Oui" if R.random() < p else ""
        for q in OPEN_QUESTIONS:
            row[q] = "" if R.random() < 0.25 else free_text(q, territory, profile)
        for col in (c for page in PAGES[lastpage:] for c in page):
            row[col] = ""
        rows.append(row)
    complete, used = [r for r in rows if r["lastpage"] == "3"], set()
    for terr, question, text in [(None, None, t) for t in EMAIL_TEXTS + PHONE_TEXTS] + MENTIONS:
        r = R.choice(
            [r for r in complete if r["id"] not in used and terr in (None, r["TERRITOIRE"])]
        )
        used.add(r["id"])
        question = question or R.choice(["FREINS", "PISTES"])
        prev = r[question].rstrip()
        r[question] = (prev + (" " if prev[-1:] in ".!?" else ". ") + text) if prev else text
    return [[r[c] for c in Q_COLUMNS] for r in rows]


# ------------------------------------------------------------------ registrations (HelloAsso)
H_COLUMNS = (
    "Numéro de commande;Date de la commande;Statut de la commande;Nom participant;"
    "Prénom participant;Nom payeur;Prénom payeur;Email payeur;Raison sociale;"
    "Moyen de paiement;Billet;Numéro de billet;Tarif;Montant tarif;Code Promo;"
    "Montant code promo;Email;Téléphone;Structure;Profil;Code postal;"
    "J'accepte d'être recontacté·e par les partenaires;Présence"
).split(";")
REG_CATS = {**PROFILES, "Élu·e": 14, "Citoyen·ne": 14, "Agent·e de l'État": 7, "Autre": 3}
PROFIL_TEXTS = _keyed(T["PROFILS"])  # "feminine/masculine" or neutral, as people type it
USED_EMAILS = {m for t in EMAIL_TEXTS for m in re.findall(r"[\w.]+@example\.\w+", t)}


def slug(text):
    return strip_accents(text).lower().replace("'", "").replace(" ", "-")


def make_email(first, last):
    f, name = slug(first), slug(last)
    user = wchoice(
        {
            f"{f}.{name}": 70,
            f"{f[0]}.{name}": 10,
            f"{f}{name}".replace("-", ""): 10,
            f"{name}.{f}": 10,
        }
    )
    dom = wchoice({"example.org": 55, "example.fr": 40, "example.net": 5})
    email, k = f"{user}@{dom}", 2
    while email in USED_EMAILS:
        email, k = f"{user}{k}@{dom}", k + 1
    USED_EMAILS.add(email)
    return email


def make_phone():
    """A fictitious mobile number (06 00 range) in one of the usual spellings, or nothing."""
    num = "{:02d} {:02d} {:02d}".format(*(R.randint(0, 99) for _ in range(3)))
    return {
        "sp": f"06 00 {num}",
        "compact": f"0600{num.replace(' ', '')}",
        "intl": f"+33 6 00 {num}",
        "dot": f"06.00.{num.replace(' ', '.')}",
        "": "",
    }[wchoice({"sp": 45, "compact": 20, "intl": 15, "dot": 5, "": 15})]


def make_cp(t):
    r = R.random()
    if r < 0.02:
        return ""
    return R.choice(t["cp"] if r < 0.78 else t["cp_near"] if r < 0.92 else CP_FAR)


def elide(text):
    """French elision: "de Orvault" -> "d'Orvault"."""
    return re.sub(r"\bde ([AEIOUÉÈ])", r"d'\1", text)


def make_structure(cat, t, profil):
    city = R.choice(t["cities"])
    if profil == "Conseil citoyen":
        return elide(f"Conseil citoyen de {city}")
    return elide(
        R.choice(
            {
                "Élu·e": [f"Ville de {city}", f"Mairie de {city}", t["name"]],
                "Agent·e territorial·e": [
                    f"Ville de {city}",
                    t["name"],
                    f"Département {t['de']}",
                    f"CCAS de {city}",
                    f"Mairie de {city}",
                ],
                "Association": [a.format(city=city) for a in LISTS["assos"]],
                "Consultant·e": LISTS["cabinets"],
                "Agent·e de l'État": [f"Préfecture {t['de']}", f"DDT {t['de']}", "DREAL"],
                "Chercheur·e": t["univ"] + ["CNRS"],
                "Citoyen·ne": ["", "", "", f"Collectif d'habitants {city}"],
                "Autre": ["", "Rédaction Info Métropole"],
            }[cat]
        )
    )


def make_person(t, taken, pool):
    """Draw a new registrant (sometimes a consultant/researcher already met elsewhere)."""
    cat = wchoice(REG_CATS)
    reuse = [p for p in pool if p["cat"] == cat and (p["first"], p["last"]) not in taken]
    if reuse and cat in ("Consultant·e", "Chercheur·e") and R.random() < 0.3:
        person = R.choice(reuse)
        taken.add((person["first"], person["last"]))
        return person
    while True:
        gender = R.choice("FM")
        first, last = R.choice(FIRST_F if gender == "F" else FIRST_M), R.choice(LAST)
        if (first, last) not in taken:
            break
    taken.add((first, last))
    txt = R.choice(PROFIL_TEXTS[cat]).split("/")
    profil = txt[0] if gender == "F" or len(txt) == 1 else txt[1]
    person = {
        "first": first,
        "last": last,
        "cat": cat,
        "profil": profil,
        "structure": make_structure(cat, t, profil),
        "email": make_email(first, last),
        "phone": make_phone(),
        "cp": make_cp(t),
        "forced": False,
    }
    pool.append(person)
    return person


def order_datetime(day):
    """A date in the 6 weeks before the meeting, denser close to it."""
    d = datetime.combine(day, datetime.min.time()) - timedelta(days=int(1 + 41 * R.random() ** 1.5))
    hour = R.choice([7, 8, 9, 9, 10, 10, 11, 12, 13, 14, 14, 15, 16, 17, 18, 20, 21, 22, 23])
    return d.replace(hour=hour, minute=R.randint(0, 59), second=R.randint(0, 59))


def make_registrations(t, pool):
    """Return HelloAsso participant rows for one territory (sorted by order date)."""
    taken, f = set(FORCED_NAMES), FORCED[t["slug"]]
    forced = {
        "first": f[0],
        "last": f[1],
        "cat": f[3],
        "profil": f[4],
        "structure": f[5],
        "email": make_email(f[0], f[1]),
        "phone": make_phone(),
        "cp": t["cp"][0],
        "forced": True,
    }
    people = [forced] + [
        make_person(t, taken, pool) for _ in range(t["n_valid"] + t["n_cancel"] - 1)
    ]
    cancelled = set(R.sample(range(1, len(people)), t["n_cancel"]))
    entries = []  # [datetime, person, status, presence, e-mail as typed]
    for i, p in enumerate(people):
        status = "Annulé" if i in cancelled else "Validé"
        presence = (
            ""
            if status == "Annulé"
            else ("Présent" if p["forced"] or R.random() < 0.75 else "Absent")
        )
        entries.append([order_datetime(t["day"]), p, status, presence, p["email"]])
    valid = [e for e in entries if e[2] == "Validé" and not e[1]["forced"]]
    for orig in R.sample(valid, t["n_dup"]):  # same person registering a second time, later
        gap = (datetime.combine(t["day"], datetime.min.time()) - orig[0]).total_seconds()
        later = orig[0] + timedelta(seconds=R.randint(3600, max(3601, int(gap) - 7200)))
        dup_presence = "Absent"
        if orig[3] == "Présent" and R.random() < 0.5:  # the ticket scanned was the second one
            orig[3], dup_presence = "Absent", "Présent"
        person = dict(
            orig[1], last=orig[1]["last"].lower() if R.random() < 0.5 else orig[1]["last"]
        )
        local, dom = orig[4].split("@")
        email = R.choice(
            [
                orig[4].upper(),
                " " + orig[4],
                orig[4] + " ",
                ".".join(x.capitalize() for x in local.split(".")) + "@" + dom,
            ]
        )
        entries.append([later, person, "Validé", dup_presence, email])
    entries.sort(key=lambda e: e[0])
    rows, numbers = [], set()
    for dt, p, status, presence, typed_email in entries:
        number = 98_000_000 + int((dt - datetime(2025, 1, 1)).total_seconds() // 7)
        while number in numbers:
            number += 1
        numbers.add(number)
        last = p["last"].upper() if not p["forced"] and R.random() < 0.1 else p["last"]
        first = p["first"].lower() if not p["forced"] and R.random() < 0.03 else p["first"]
        pay_first, pay_last, pay_email, company = first, last, typed_email, ""
        if R.random() < 0.12 and p["structure"]:  # registered by a colleague of the structure
            pay_first = R.choice(R.choice([FIRST_F, FIRST_M]))
            pay_last = R.choice(LAST)
            pay_email = f"{slug(pay_first)}.{slug(pay_last)}@{typed_email.split('@')[1].strip()}"
            company = p["structure"]
        elif R.random() < 0.06:
            company = p["structure"]
        rows.append(
            [
                str(number),
                dt.strftime("%d/%m/%Y %H:%M"),
                status,
                last,
                first,
                pay_last,
                pay_first,
                pay_email,
                company,
                t["pay"],
                f"Rencontre territoriale {t['name']}",
                str(number * 3 + 17),
                "Gratuit",
                "0,00",
                "",
                "",
                typed_email,
                p["phone"],
                p["structure"],
                p["profil"],
                p["cp"],
                "Oui" if R.random() < 0.6 else "Non",
                presence,
            ]
        )
    return rows


# ------------------------------------------------------------------ interviews (Taguette)
INTERVIEW = _keyed(T["INTERVIEW"])
SECOND_TAG = {
    "organisation": "freins",
    "décision": "transparence",
    "inclusion": "freins",
    "transparence": "décision",
    "redevabilité": "transparence",
    "freins": "organisation",
    "pistes 2026": "redevabilité",
}  # plausible co-coding of a highlight
TAG_W = {
    "organisation": 14,
    "décision": 16,
    "inclusion": 16,
    "transparence": 12,
    "redevabilité": 14,
    "freins": 16,
    "pistes 2026": 12,
}


def make_interviews():
    """Return (highlight rows, attribute rows); one highlight row per (highlight, tag)."""
    docs = []
    for t in TERRITORIES:
        for prof in [
            "Élu·e",
            "Agent·e territorial·e",
            R.choice(["Association", "Citoyen·ne"]),
            R.choice(
                ["Consultant·e", "Chercheur·e", "Agent·e de l'État", "Association", "Citoyen·ne"]
            ),
        ]:
            day = date(2025, 1, 20) + timedelta(days=R.randint(0, 46))
            docs.append((day - timedelta(days=max(0, day.weekday() - 4)), t, prof))  # weekdays
    docs.sort(key=lambda d: (d[0], d[1]["slug"]))
    usage = {s: 0 for bank in INTERVIEW.values() for s in bank}
    highlights, attributes = [], [["document", "territoire", "profil", "date"]]
    hid = R.randint(5, 20)
    for n, (day, t, prof) in enumerate(docs, 1):
        name = f"Entretien {n:02d} - {t['short']}"
        attributes.append([name, t["short"], prof, day.isoformat()])
        city = R.choice(t["cities"])
        for _ in range(R.randint(6, 9)):
            tag, sents = wchoice(TAG_W), []
            for _ in range(wchoice({1: 65, 2: 30, 3: 5})):
                candidates = [s for s in INTERVIEW[tag] if s not in sents]
                best = min(candidates, key=lambda s: (usage[s], R.random()))
                usage[best] += 1
                sents.append(best)
            text = " ".join(sents).format(ville=city)
            if R.random() < 0.4:
                text = R.choice(LISTS["fillers"]) + " " + lcfirst(text)
            if R.random() < 0.35:
                text += " " + R.choice(LISTS["closers"])
            tags = [tag] + ([SECOND_TAG[tag]] if R.random() < 0.12 else [])
            highlights.extend([str(hid), name, tg, text] for tg in tags)
            hid += R.randint(1, 4)
    return highlights, attributes


# ------------------------------------------------------------------ proposals (Decidim)
D_COLUMNS = (
    "id;category/id;category/name/fr;scope/id;scope/name/fr;participatory_space/id;"
    "participatory_space/url;component/id;title/fr;body/fr;state;reference;answer/fr;"
    "supports;endorsements/total_count;endorsements/user_endorsements;comments;"
    "attachments;followers;published_at;url;meeting_urls;related_proposals;is_amend;"
    "original_proposal/title;original_proposal/url"
).split(";")
CATEGORIES = [
    "Organisation",
    "Décision",
    "Inclusion des publics",
    "Sincérité et transparence",
    "Reddition des comptes",
]
SCOPES = {
    31: "Atelier 1 – Décider ensemble",
    32: "Atelier 2 – Aller vers tous les publics",
    33: "Atelier 3 – Rendre des comptes",
}
CAT_SCOPES = {
    "Organisation": [31, 32, 33],
    "Décision": [31],
    "Inclusion des publics": [32],
    "Sincérité et transparence": [31, 31, 33],
    "Reddition des comptes": [33],
}
CROSS = [x.split("|") for x in T["CROSS"]]  # idea number, slug, category, title, body
ANSWERS = {**_keyed(T["ANSWERS"]), "": [""]}


def make_proposals():
    """Return {slug: rows} in Decidim export layout (values: str, or None for Ruby nil)."""
    pool = {c: R.sample(v, len(v)) for c, v in _sub("UNIQUE").items()}
    drafts = []
    for ti, t in enumerate(TERRITORIES):
        items = [(cat, title, body, True) for _n, s, cat, title, body in CROSS if s == t["slug"]]
        while len(items) < t["n_prop"]:
            cat = R.choice([c for c in CATEGORIES if pool[c]])
            title, body = pool[cat].pop().split("|")
            if R.random() < 0.35:
                body += ("\n" if R.random() < 0.4 else " ") + R.choice(LISTS["body_closers"])
            items.append((cat, title, body, False))
        meeting = datetime.combine(t["day"], datetime.min.time()).replace(hour=12, minute=30)
        for item in items:
            if R.random() < 0.7:  # during the workshops (UTC), or in the following days
                published = meeting + timedelta(seconds=R.randint(0, 4 * 3600))
            else:
                published = meeting + timedelta(days=R.randint(1, 10), seconds=R.randint(0, 36000))
            drafts.append((published, ti, t, *item))
    drafts.sort(key=lambda d: (d[0], d[1]))
    out, pid = {t["slug"]: [] for t in TERRITORIES}, 1180
    for published, ti, t, cat, title, body, cross in drafts:
        pid += R.randint(1, 6)
        space_id, comp = 21 + ti, 87 + 4 * ti
        space_url = f"https://participation.example.org/processes/rencontre-{t['slug']}-2025"
        scope = R.choice(CAT_SCOPES[cat])
        state = wchoice(
            {
                "": 50 if t["slug"] == "lille" else 35,
                "evaluating": 25,
                "accepted": 25,
                "rejected": 15,
            }
        )
        supports = min(120, int((R.paretovariate(1.5) - 1) * (12 if cross else 8)))
        comments = min(15, int(R.expovariate(1 / 3)))
        meetings = (
            f"{space_url}/f/{comp - 1}/meetings/{400 + 3 * ti + scope - 31}"
            if R.random() < 0.6
            else ""
        )
        out[t["slug"]].append(
            [
                str(pid),
                str(140 + 10 * ti + CATEGORIES.index(cat)),
                cat,
                str(scope),
                SCOPES[scope],
                str(space_id),
                space_url,
                str(comp),
                title,
                body,
                state,
                f"ICPC-PROP-{published:%Y-%m}-{pid}",
                R.choice(ANSWERS[state]),
                str(supports),
                str(min(supports, int(R.expovariate(1 / 2)))),
                "",
                str(comments),
                "1" if R.random() < 0.08 else "0",
                str(1 + comments // 2 + R.randint(0, 3)),
                f"{published:%Y-%m-%d %H:%M:%S} UTC",
                f"{space_url}/f/{comp}/proposals/{pid}",
                meetings,
                "",
                "false",
                None,
                None,
            ]
        )
    return out


def ruby_csv(rows, sep=";"):
    """Serialise like Ruby's CSV: quote when needed, empty strings as "", nil as nothing."""

    def cell(v):
        if v is None:
            return ""
        if v == "" or any(c in v for c in (sep, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v

    return "".join(sep.join(cell(v) for v in row) + "\n" for row in rows)


def write_csv(name, rows, encoding="utf-8", **fmt):
    buf = io.StringIO()
    csv.writer(buf, **fmt).writerows(rows)
    (OUT_DIR / name).write_bytes(buf.getvalue().encode(encoding))


# ---------------------------------------------------------------- evaluation questionnaires
# Filled in at the end of the meeting (Google Forms, French export). A separate random stream:
# the files above stay byte-identical whether or not these are written.
E_COLUMNS = [
    "Horodateur",
    "Vous êtes :",
    "Satisfaction globale (1 = pas du tout satisfait·e, 5 = très satisfait·e)",
    "Avez-vous pu vous exprimer ?",
    "Recommanderiez-vous ce format de rencontre à un ou une collègue ?",
    "Ce que vous retiendrez de la rencontre",
]
E_LABELS = {
    "agent_territorial": "Agent·e territorial·e",
    "association": "Association",
    "elu": "Élu·e",
    "citoyen": "Citoyen·ne",
    "agent_etat": "Agent·e de l'État",
    "consultant": "Consultant·e",
    "chercheur": "Chercheur·e",
    "autre": "Autre",
}
# people present at each meeting, by profile (from inscriptions_<slug>.csv): who can answer
E_PRESENT = {
    "lyon": {"agent_territorial": 32, "association": 18, "elu": 15, "citoyen": 11,
             "agent_etat": 10, "consultant": 9, "chercheur": 8},
    "nantes": {"agent_territorial": 19, "association": 10, "elu": 8, "chercheur": 4,
               "consultant": 3, "agent_etat": 3, "citoyen": 3, "autre": 2},
}  # fmt: skip
E_TEXTS = [
    "Les échanges entre élus et habitants dans les ateliers, sur un pied d'égalité.",
    "La qualité de l'animation des ateliers et le temps laissé à chacun pour parler.",
    "Des idées concrètes à rapporter dans ma commune, notamment le bilan annuel des concertations.",
    "Le tirage au sort pour faire venir d'autres publics : à tester chez nous.",
    "La restitution du questionnaire était claire, les chiffres parlent.",
    "Rencontrer des collègues d'autres collectivités qui ont les mêmes difficultés.",
    "Trop court pour aller au fond des sujets, il faudrait une journée entière.",
    "L'atelier sur la redevabilité m'a ouvert les yeux : on ne rend jamais compte aux habitants.",
    "Bonne ambiance, mais toujours les mêmes personnes autour de la table.",
    "Le besoin d'une charte de la participation avant les municipales.",
    "Des propositions à suivre : j'espère qu'on saura ce qu'elles deviennent.",
    "La place laissée aux associations de quartier, enfin écoutées.",
    "Salle trop petite et bruyante pendant les ateliers.",
    "L'idée d'un budget et d'une équipe dédiés à la participation dans chaque collectivité.",
    "Aller vers les habitants qui ne viennent jamais : permanences, stands mobiles.",
    "Des élus présents et à l'écoute, ça change.",
    "Le format court et rythmé, efficace.",
    "Merci pour l'organisation, envoyez-moi le compte rendu : claire.martin@example.org",
    "Peu de temps pour la mise en commun à la fin.",
    "Des pistes pour former les agents à l'animation de la concertation.",
    "Rien de particulier",
    "RAS",
    "Les échanges entre élus et habitants dans les ateliers, sur un pied d'égalité !",
]
E_SAT = [("5", 30), ("4", 43), ("3", 16), ("2", 6), ("1", 3), ("", 2)]
E_EXPR = [("Oui", 46), ("Plutôt oui", 34), ("Plutôt non", 12), ("Non", 4), ("", 4)]
E_RECO = [("Oui", 77), ("Je ne sais pas", 14), ("Non", 7), ("", 2)]


def make_evaluation(t, n, rng):
    """Rows of one meeting's evaluation export: ``n`` answers, plus two rows to reject or flag."""

    def pick(pairs):
        return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]

    pool = [E_LABELS[p] for p, k in E_PRESENT[t["slug"]].items() for _ in range(k)]
    profiles = rng.sample(pool, n)  # n people among those present, each answers once
    for j in rng.sample(range(n), 2):
        profiles[j] = ""  # profile left empty
    rows = []
    start = datetime.combine(t["day"], datetime.min.time()).replace(hour=13, minute=2)
    for i in range(n):
        if i < n - 6:  # at the end of the meeting, then a few after the reminder e-mail
            stamp = start + timedelta(seconds=rng.randint(0, 40 * 60))
        else:
            stamp = start + timedelta(days=rng.randint(1, 4), hours=rng.randint(-4, 6))
        text = rng.choice(E_TEXTS) if rng.random() < 0.55 else ""
        rows.append([stamp, profiles[i], pick(E_SAT), pick(E_EXPR), pick(E_RECO), text])
    rows.sort(key=lambda r: r[0])
    rows[len(rows) // 3][2] = "6"  # out of the 1–5 scale: flagged, counted as no answer
    empty = start + timedelta(minutes=41)
    rows.append([empty, "", "", "", "", ""])  # submitted empty: rejected
    rows.sort(key=lambda r: r[0])
    return [[r[0].strftime("%d/%m/%Y %H:%M:%S"), *r[1:]] for r in rows]


def make_evaluations():
    rng = random.Random(20250314)
    sizes = {"lyon": 74, "nantes": 37}
    return {
        t["slug"]: make_evaluation(t, sizes[t["slug"]], rng)
        for t in TERRITORIES
        if t["slug"] in sizes
    }


def main():
    R.seed(2026)
    USED_EMAILS.intersection_update(re.findall(r"[\w.]+@example\.\w+", " ".join(EMAIL_TEXTS)))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    write_csv(
        "questionnaire.csv",
        [Q_COLUMNS, *make_questionnaire()],
        quoting=csv.QUOTE_ALL,
        lineterminator="\n",
    )  # LimeSurvey: every field quoted, LF
    pool = []
    for t in TERRITORIES:  # HelloAsso: BOM, ";", CRLF, minimal quoting
        write_csv(
            f"inscriptions_{t['slug']}.csv",
            [H_COLUMNS, *make_registrations(t, pool)],
            encoding="utf-8-sig",
            delimiter=";",
            lineterminator="\r\n",
        )
    highlights, attributes = make_interviews()
    write_csv("entretiens.csv", [["id", "document", "tag", "content"], *highlights])  # CRLF
    write_csv("entretiens_attributs.csv", attributes, lineterminator="\n")
    for slug_, rows in make_proposals().items():  # Decidim: Ruby CSV, ";", LF
        (OUT_DIR / f"propositions_{slug_}.csv").write_bytes(
            ruby_csv([D_COLUMNS, *rows]).encode("utf-8")
        )
    for slug_, rows in make_evaluations().items():  # Google Forms: ",", LF, minimal quoting
        write_csv(f"evaluation_{slug_}.csv", [E_COLUMNS, *rows], lineterminator="\n")
    for path in sorted(OUT_DIR.glob("*.csv")):
        print(f"data/exemple/{path.name}: {path.stat().st_size} octets")


if __name__ == "__main__":
    main()
