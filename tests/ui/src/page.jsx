// The page the UI test opens: one official SelfCommunity course screen inside SCContextProvider,
// pointed at the live Course API. Which screen, as whom and on which ids comes from the query string
// (see tests/ui/drive.mjs): ?screen=edit&course=3&tab=lessons&portal=...&token=...
import React from 'react';
import {createRoot} from 'react-dom/client';
import {SCContextProvider} from '@selfcommunity/react-core';
import {CourseDashboard, Courses, CreateCourseButton, EditCourse} from '@selfcommunity/react-ui';
import {Lesson} from '@selfcommunity/react-templates';
import theme from '@selfcommunity/react-theme-default';

const query = new URLSearchParams(window.location.search);
const number = (name) => (query.get(name) ? Number(query.get(name)) : undefined);
const course = number('course');

const SCREENS = {
  courses: () => <Courses />,
  create: () => <CreateCourseButton />,
  edit: () => <EditCourse courseId={course} tab={query.get('tab') || 'lessons'} />,
  teacher: () => <CourseDashboard.Teacher courseId={course} />,
  student: () => <CourseDashboard.Student courseId={course} />,
  lesson: () => <Lesson courseId={course} sectionId={number('section')} lessonId={number('lesson')} />,
};

const token = query.get('token');
const conf = {
  portal: query.get('portal'),
  locale: {default: 'en'},
  theme,
  session: {
    type: 'JWT',
    authToken: {accessToken: token, tokenType: 'Bearer'},
    // The test's tokens outlive the run; a refresh asked for is a failure the test sees in its report.
    handleRefreshToken: () => Promise.reject(new Error('the UI test does not refresh tokens')),
  },
};

const screen = SCREENS[query.get('screen')];
const root = createRoot(document.getElementById('root'));
root.render(
  screen ? (
    <SCContextProvider conf={conf}>
      <div id="screen" data-screen={query.get('screen')}>{screen()}</div>
    </SCContextProvider>
  ) : (
    <p id="unknown-screen">unknown screen {String(query.get('screen'))}</p>
  ),
);
