// Foundation: sign-in, layout, account, administration pages, errors, sign-out — each
// page also checked with axe-core. One `cpom demo` server for the whole file.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { checkA11y, DEMO_PASSWORD, launchBrowser, signIn, startServer, withPage } from './lib.mjs';

const ARS_ADMIN = 'ars-admin@cpom.demo';
const ESTABLISHMENT_LEADER = 'establishment-leader@cpom.demo';
const ESTABLISHMENT_CONTRIBUTOR = 'establishment-contributor@cpom.demo';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Visits `path` and returns the HTTP response (null only for same-document navigations). */
async function visit(page, path) {
  const response = await page.goto(`${server.baseUrl}${path}`);
  assert.ok(response, `no response for ${path}`);
  return response;
}

async function h1Text(page) {
  return (await page.locator('h1').first().textContent())?.trim() ?? '';
}

describe('fondations', () => {
  test('la page de connexion a un titre et des champs étiquetés', () =>
    withPage(browser, 'connexion-formulaire', async (page) => {
      const response = await visit(page, '/connexion');
      assert.equal(response.status(), 200);
      assert.match(await h1Text(page), /Connexion/);

      const emailLabel = page.locator('label[for="email"]');
      assert.equal(await emailLabel.count(), 1, 'one label for #email');
      assert.match(await emailLabel.innerText(), /Adresse électronique/);
      assert.equal(await page.locator('#email').count(), 1, '#email exists');

      const passwordLabel = page.locator('label[for="password"]');
      assert.equal(await passwordLabel.count(), 1, 'one label for #password');
      assert.match(await passwordLabel.innerText(), /Mot de passe/);
      assert.equal(await page.locator('#password').count(), 1, '#password exists');

      // The labels are the accessible names of the fields.
      assert.equal(await page.getByLabel('Adresse électronique').getAttribute('id'), 'email');
      assert.equal(await page.getByLabel('Mot de passe', { exact: false }).first().getAttribute('id'), 'password');

      await checkA11y(page, 'connexion');
    }));

  test('un mauvais mot de passe affiche une alerte', () =>
    withPage(browser, 'connexion-erreur', async (page) => {
      await signIn(page, server.baseUrl, ARS_ADMIN, 'pas-le-bon-mot-de-passe');
      assert.equal(new URL(page.url()).pathname, '/connexion');
      const alert = page.locator('.fr-alert--error');
      assert.equal(await alert.count(), 1, 'one error alert');
      assert.match(await alert.innerText(), /Identifiants incorrects/);
      await checkA11y(page, 'connexion (erreur)');
    }));

  test("l'administrateur ARS voit l'en-tête, son compte, les utilisateurs et le journal", () =>
    withPage(browser, 'admin-ars', async (page) => {
      const response = await signIn(page, server.baseUrl, ARS_ADMIN, DEMO_PASSWORD);
      assert.equal(response?.status(), 200);
      assert.notEqual(new URL(page.url()).pathname, '/connexion', 'signed in');
      if (new URL(page.url()).pathname !== '/') assert.equal((await visit(page, '/')).status(), 200);

      const header = page.locator('header.fr-header');
      assert.equal(await header.count(), 1, 'one header.fr-header');
      assert.match(await header.innerText(), /Agence régionale de santé/);
      assert.ok(await header.getByRole('link', { name: 'Mon compte' }).first().isVisible(), 'link « Mon compte »');
      assert.ok(await header.getByRole('button', { name: 'Se déconnecter' }).first().isVisible(), 'button « Se déconnecter »');
      await checkA11y(page, 'accueil (administrateur ARS)');

      let res = await visit(page, '/mon-compte');
      assert.equal(res.status(), 200);
      assert.match(await h1Text(page), /Mon compte/);
      await checkA11y(page, 'mon compte');

      res = await visit(page, '/admin/utilisateurs');
      assert.equal(res.status(), 200);
      assert.match(await h1Text(page), /Utilisateurs/);
      const table = page.locator('main table');
      assert.ok((await table.count()) >= 1, 'a table of users');
      assert.match(await table.first().innerText(), new RegExp(ESTABLISHMENT_LEADER.replace(/\./g, '\\.')));
      await checkA11y(page, 'utilisateurs');

      res = await visit(page, '/admin/journal');
      assert.equal(res.status(), 200);
      assert.match(await h1Text(page), /Journal/);
      await checkA11y(page, "journal d'audit");
    }));

  test('une page inexistante répond 404', () =>
    withPage(browser, 'page-inexistante', async (page) => {
      const res = await visit(page, '/nexiste-pas');
      assert.equal(res.status(), 404);
      assert.match(await h1Text(page), /Page non trouvée/);
      await checkA11y(page, 'page non trouvée');
    }));

  test("un contributeur d'établissement n'a pas accès à l'administration", () =>
    withPage(browser, 'contributeur-acces-refuse', async (page) => {
      const response = await signIn(page, server.baseUrl, ESTABLISHMENT_CONTRIBUTOR, DEMO_PASSWORD);
      assert.equal(response?.status(), 200);
      assert.notEqual(new URL(page.url()).pathname, '/connexion', 'signed in');

      // No link to the user administration anywhere on the page (navigation included).
      assert.equal(await page.locator('a[href^="/admin/utilisateurs"]').count(), 0);
      const nav = page.locator('nav#navigation-principale');
      if ((await nav.count()) > 0) {
        assert.doesNotMatch(await nav.innerHTML(), /\/admin\/utilisateurs/);
      }

      const res = await visit(page, '/admin/utilisateurs');
      assert.equal(res.status(), 403);
      assert.match(await h1Text(page), /Accès refusé/);
      assert.equal(await page.locator('a[href^="/admin/utilisateurs"]').count(), 0);
      await checkA11y(page, 'accès refusé');
    }));

  test('se déconnecter ramène à la connexion', () =>
    withPage(browser, 'deconnexion', async (page) => {
      await signIn(page, server.baseUrl, ARS_ADMIN, DEMO_PASSWORD);
      assert.notEqual(new URL(page.url()).pathname, '/connexion', 'signed in');
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.locator('header.fr-header').getByRole('button', { name: 'Se déconnecter' }).first().click(),
      ]);
      assert.equal(new URL(page.url()).pathname, '/connexion');
      assert.ok(await page.getByRole('button', { name: 'Se connecter' }).isVisible(), 'button « Se connecter »');

      // The session is gone: a protected page sends back to the sign-in page.
      await visit(page, '/mon-compte');
      assert.equal(new URL(page.url()).pathname, '/connexion');
    }));
});
