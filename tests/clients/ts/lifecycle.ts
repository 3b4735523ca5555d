/*
 * The course, section and lesson lifecycle through openapi-fetch, typed by the `paths` that openapi-typescript
 * generates from openapi/v2.yaml into ./schema.d.ts (beside this file in the build folder).
 *
 *   CLIENT_BASE_URL=http://127.0.0.1:8080/api/v2 CLIENT_TOKEN=<access token> \
 *       CLIENT_CATEGORY_ID=<existing category id> node dist/lifecycle.js
 *
 * Prints `ok <step>` per step and `all steps passed (ts)` at the end; the first failed check prints
 * `FAILED <step>: <reason>` with the last exchange on stderr and exits with 1.
 *
 * Nulls go in JSON bodies. A urlencoded form has no null: URLSearchParams writes null as the text
 * "null" (which this API happens to read as null, a convention of ours that no type describes), so
 * the form step carries text only.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Schemas = components["schemas"];
type Course = Schemas["Course"];
type Section = Schemas["Section"];
type Lesson = Schemas["Lesson"];
type Outline = Schemas["CourseUserDetail"];

const baseUrl = process.env.CLIENT_BASE_URL;
const token = process.env.CLIENT_TOKEN;
const categoryId = Number(process.env.CLIENT_CATEGORY_ID);
if (!baseUrl || !token || !Number.isInteger(categoryId)) {
  process.stderr.write("lifecycle: CLIENT_BASE_URL, CLIENT_TOKEN and CLIENT_CATEGORY_ID are needed\n");
  process.exit(2);
}

let step = "";
let exchange = "(no request was sent)";

class StepFailed extends Error {
  override name = "StepFailed";
}

function check(condition: boolean, reason: string): asserts condition {
  if (!condition) throw new StepFailed(reason);
}

function done(): void {
  process.stdout.write(`ok ${step}\n`);
}

// Remembers the last request and answer, for the failure report.
const recorder: Middleware = {
  async onRequest({ request }) {
    const body = request.body ? await request.clone().text() : "";
    exchange = `${request.method} ${request.url}\ncontent-type: ${request.headers.get("content-type")}\n${body}`;
    return undefined;
  },
  async onResponse({ response }) {
    exchange += `\n--- ${response.status}\n${await response.clone().text()}`;
    return undefined;
  },
};

const client = createClient<paths>({
  baseUrl,
  headers: { Authorization: `Bearer ${token}` },
  redirect: "error", // the paths in the types must be the canonical ones
});
client.use(recorder);

// A revision's tag ("c5-r3"), or the tag of an answer that also shows the caller's progress
// ("c5-r3-p" and 20 hexadecimal digits), as the API made it: the tag of a gzip-compressed answer
// ends in "-gzip" (fetch asks for gzip), which is dropped here.
function etagOf(response: Response): string {
  const tag = response.headers.get("ETag");
  check(tag !== null && /^"[csl]\d+-r\d+(-p[0-9a-f]{20})?(-gzip)?"$/.test(tag), `no strong ETag: ${tag}`);
  return tag.replace(/-gzip"$/, '"');
}

// The course as the caller takes it (view=user): the one member of the answer's union with progress.
function isOutline(value: Schemas["CourseDetail"] | Outline | Schemas["CourseMinimal"]): value is Outline {
  return "next_lesson" in value && "num_lessons_completed" in value;
}

async function lifecycle(): Promise<void> {
  step = "create course (JSON)";
  const name = `Generated TS course ${Math.random().toString(16).slice(2, 10)}`;
  const created = await client.POST("/course/", {
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    body: { name, type: "structured", description: "Made by openapi-fetch.", categories: [categoryId], meta_title: null },
  });
  check(created.response.status === 201 && created.data !== undefined, `status ${created.response.status}`);
  const course: Course = created.data;
  check(created.response.headers.get("Location")?.endsWith(`/course/${course.id}/`) === true, "Location");
  check(course.name === name && course.type === "structured" && course.privacy === "", "course not as sent");
  check(course.join_status === "creator" && course.meta_title === null, "join_status or meta_title");
  check(course.categories.map((c) => c.id).join() === String(categoryId), "categories");
  const createdAt = new Date(course.created_at);
  check(!Number.isNaN(createdAt.getTime()) && /(Z|[+-]\d\d:\d\d)$/.test(course.created_at), "created_at");
  check(Math.abs(Date.now() - createdAt.getTime()) < 5 * 60_000, `created_at ${course.created_at} is not now`);
  check(course.revision === 1 && course.sections_order.length === 0, "revision or sections_order");
  done();

  step = "get course";
  const got = await client.GET("/course/{id}/", { params: { path: { id: course.id } } });
  check(got.data !== undefined && isOutline(got.data), `status ${got.response.status}`);
  // The default view is the creator's outline: the course as POST answered it, plus its sections.
  const outline: Outline = got.data;
  const common = Object.fromEntries(Object.keys(course).map((key) => [key, outline[key as keyof Outline]]));
  check(JSON.stringify(common) === JSON.stringify(course), "GET differs from the POST's answer");
  check(outline.sections.length === 0 && outline.next_lesson === null, "the outline of a new course");
  check(etagOf(got.response).startsWith(`"c${course.id}-r1-p`), "course ETag");
  const edit = await client.GET("/course/{id}/", { params: { path: { id: course.id }, query: { view: "edit" } } });
  check(edit.data !== undefined && "sections" in edit.data, `view=edit status ${edit.response.status}`);
  check(edit.data.sections.length === 0 && edit.data.num_sections === 0, "sections of a new course");
  done();

  step = "patch course: null and back";
  const coursePath = { params: { path: { id: course.id } } };
  let patched = await client.PATCH("/course/{id}/", { ...coursePath, body: { meta_title: "A title", og_title: null } });
  check(patched.data?.meta_title === "A title" && patched.data.og_title === null, "meta_title not set");
  patched = await client.PATCH("/course/{id}/", { ...coursePath, body: { meta_title: null } });
  check(patched.data !== undefined && patched.data.meta_title === null, "meta_title not null after a JSON null");
  check(patched.data.description === course.description, "a PATCH changed a field it did not carry");
  patched = await client.PATCH("/course/{id}/", { ...coursePath, body: { meta_title: "Back" } });
  check(patched.data?.meta_title === "Back" && patched.data.revision === 4, "meta_title not back");
  done();

  step = "patch course (form)";
  patched = await client.PATCH("/course/{id}/", {
    ...coursePath,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: { og_description: "Sent as a form", privacy: "open" },
  });
  check(exchange.includes("og_description=Sent+as+a+form"), "the body was not urlencoded");
  check(patched.data?.og_description === "Sent as a form" && patched.data.privacy === "open", "form not applied");
  check(patched.data.meta_title === "Back", "the form changed another field");
  const refused = await client.PATCH("/course/{id}/", {
    ...coursePath,
    // @ts-expect-error "draft" is no CoursePrivacy: the generated types carry the spec's enums, and the server agrees
    body: { privacy: "draft" },
  });
  check(refused.response.status === 400 && refused.error?.errors[0]?.field === "privacy", "a bad enum passed");
  done();

  step = "create sections";
  const opens = "2027-03-01T09:30:00Z";
  const sectionsPath = { params: { path: { id: course.id } } };
  const first = await client.POST("/course/{id}/section/", {
    ...sectionsPath,
    body: { name: "First", dripped_at: opens, drip_delay: 3 },
  });
  const second = await client.POST("/course/{id}/section/", { ...sectionsPath, body: { name: "Second", dripped_at: null } });
  check(first.data !== undefined && second.data !== undefined, "a section was not created");
  const firstId = first.data.id;
  const secondId = second.data.id;
  check(new Date(first.data.dripped_at ?? "").getTime() === Date.parse(opens), `dripped_at ${first.data.dripped_at}`);
  check(second.data.dripped_at === null && second.data.drip_delay === 0, "second section not as sent");
  check(first.data.revision === 1 && second.data.lessons_order.length === 0, "new sections");
  done();

  step = "reorder sections";
  patched = await client.PATCH("/course/{id}/", { ...coursePath, body: { sections_order: [secondId, firstId] } });
  check(patched.data?.sections_order.join() === `${secondId},${firstId}`, "sections_order not changed");
  const listed = await client.GET("/course/{id}/section/", sectionsPath);
  check(listed.data?.map((s: Section) => s.id).join() === `${secondId},${firstId}`, "the list is not in the new order");
  done();

  step = "patch section with If-Match";
  const sectionPath = (id: number) => ({ id: course.id, section_id: id });
  const read = await client.GET("/course/{id}/section/{section_id}/", { params: { path: sectionPath(firstId) } });
  const tag = etagOf(read.response);
  check(tag === `"s${firstId}-r1"`, `section ETag ${tag}`);
  const sectionPatched = await client.PATCH("/course/{id}/section/{section_id}/", {
    params: { path: sectionPath(firstId), header: { "If-Match": tag } },
    body: { name: "First, renamed", dripped_at: null },
  });
  const section: Section | undefined = sectionPatched.data;
  check(section?.name === "First, renamed" && section.dripped_at === null, "section patch not applied");
  check(section.drip_delay === 3 && section.revision === 2, "drip_delay or revision");
  check(etagOf(sectionPatched.response) === `"s${firstId}-r2"`, "ETag after the patch");
  const stale = await client.PATCH("/course/{id}/section/{section_id}/", {
    params: { path: sectionPath(firstId), header: { "If-Match": tag } },
    body: { name: "Lost" },
  });
  check(stale.response.status === 412, `stale If-Match gave ${stale.response.status}`);
  check(stale.error?.errors[0]?.messages[0]?.code === "precondition_failed", "412 code");
  done();

  step = "create lessons";
  const lessonsPath = { params: { path: sectionPath(firstId) } };
  const made = await client.POST("/course/{id}/section/{section_id}/lesson/", {
    params: { path: sectionPath(firstId), header: { "Idempotency-Key": crypto.randomUUID() } },
    body: { name: "Light", type: "lesson", status: "published", text: "<p>Golden hour</p><img src=x onerror=alert(1)>" },
  });
  check(made.response.status === 201 && made.data !== undefined, `status ${made.response.status}`);
  const light: Lesson = made.data;
  const lessonPath = (id: number) => ({ ...sectionPath(firstId), lesson_id: id });
  check(made.response.headers.get("Location")?.endsWith(`/section/${firstId}/lesson/${light.id}/`) === true, "Location");
  check(etagOf(made.response) === `"l${light.id}-r1"`, "lesson ETag");
  check(light.course_id === course.id && light.section_id === firstId && light.revision === 1, "lesson ids");
  check(light.status === "published" && light.type === "lesson", "status or type not as sent");
  check(light.html === "<p>Golden hour</p><img src=\"x\">", `html ${light.html}: the handler must be gone`);
  check(light.completion_status === "uncompleted" && !light.locked && light.lock === null, "progress fields");
  const shadowMade = await client.POST("/course/{id}/section/{section_id}/lesson/", { ...lessonsPath, body: { name: "Shadow" } });
  check(shadowMade.data?.status === "draft" && shadowMade.data.html === "", "a lesson is a draft with no content by default");
  const shadow: Lesson = shadowMade.data;
  done();

  step = "read lesson";
  const readLesson = await client.GET("/course/{id}/section/{section_id}/lesson/{lesson_id}/", { params: { path: lessonPath(light.id) } });
  check(JSON.stringify(readLesson.data) === JSON.stringify(light), "GET differs from the POST's answer");
  check(etagOf(readLesson.response).startsWith(`"l${light.id}-r1-p`), "lesson ETag of a GET");
  const lessons = await client.GET("/course/{id}/section/{section_id}/lesson/", lessonsPath);
  check(lessons.data?.map((l: Lesson) => l.id).join() === `${light.id},${shadow.id}`, "lessons not in order");
  done();

  step = "complete lesson";
  const completed = await client.POST("/course/{id}/section/{section_id}/lesson/{lesson_id}/complete/", {
    params: { path: lessonPath(light.id) },
  });
  check(completed.response.status === 204, `status ${completed.response.status}`);
  const reread = await client.GET("/course/{id}/section/{section_id}/lesson/{lesson_id}/", { params: { path: lessonPath(light.id) } });
  check(reread.data?.completion_status === "completed", "the lesson is not completed");
  const progress = async (): Promise<Outline> => {
    const mine = await client.GET("/course/{id}/", coursePath);
    check(mine.data !== undefined && isOutline(mine.data), `view=user status ${mine.response.status}`);
    return mine.data;
  };
  // The draft counts for nothing: one published lesson, completed.
  let mine = await progress();
  check(mine.user_completion_rate === 100 && mine.num_lessons === 1, `user_completion_rate ${mine.user_completion_rate}`);
  check(mine.completed_at !== null && mine.next_lesson === null, "completed_at or next_lesson of a finished course");
  done();

  step = "publish lesson with If-Match";
  const shadowRead = await client.GET("/course/{id}/section/{section_id}/lesson/{lesson_id}/", { params: { path: lessonPath(shadow.id) } });
  const shadowTag = etagOf(shadowRead.response);
  // A tag that shows progress makes a write conditional on the lesson's revision.
  const published = await client.PATCH("/course/{id}/section/{section_id}/lesson/{lesson_id}/", {
    params: { path: lessonPath(shadow.id), header: { "If-Match": shadowTag } },
    body: { status: "published" },
  });
  check(published.data?.status === "published", `status ${published.response.status}`);
  check(etagOf(published.response) === `"l${shadow.id}-r2"`, "ETag after the patch");
  const lost = await client.PATCH("/course/{id}/section/{section_id}/lesson/{lesson_id}/", {
    params: { path: lessonPath(shadow.id), header: { "If-Match": shadowTag } },
    body: { name: "Lost" },
  });
  check(lost.response.status === 412, `stale If-Match gave ${lost.response.status}`);
  mine = await progress();
  check(mine.user_completion_rate === 50, `user_completion_rate ${mine.user_completion_rate}, one of two done`);
  check(mine.next_lesson?.lesson_id === shadow.id, "next_lesson is not the lesson left");
  done();

  step = "delete section";
  const secondRead = await client.GET("/course/{id}/section/{section_id}/", { params: { path: sectionPath(secondId) } });
  const deleted = await client.DELETE("/course/{id}/section/{section_id}/", {
    params: { path: sectionPath(secondId), header: { "If-Match": etagOf(secondRead.response) } },
  });
  check(deleted.response.status === 204, `status ${deleted.response.status}`);
  const remaining = await client.GET("/course/{id}/section/", sectionsPath);
  check(remaining.data?.map((s) => s.id).join() === String(firstId), "the deleted section is still listed");
  const gone = await client.GET("/course/{id}/section/{section_id}/", { params: { path: sectionPath(secondId) } });
  check(gone.response.status === 404 && gone.error?.status === 404, `deleted section gave ${gone.response.status}`);
  done();

  step = "delete course";
  const courseDeleted = await client.DELETE("/course/{id}/", coursePath);
  check(courseDeleted.response.status === 204, `status ${courseDeleted.response.status}`);
  const after = await client.GET("/course/{id}/", coursePath);
  check(after.response.status === 404 && after.error?.errors[0]?.messages[0]?.code === "not_found", "course not gone");
  done();
}

lifecycle().then(
  () => process.stdout.write("all steps passed (ts)\n"),
  (error: unknown) => {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`FAILED ${step}: ${reason}\n--- last exchange ---\n${exchange}\n`);
    process.exitCode = 1;
  },
);
